//! The OpenAPI 3.1 document of `/api/v1`, written by hand next to the handlers it describes.
//! A test checks that every API route is documented here and every documented path exists.

use axum::Json;
use serde_json::{Value, json};

/// The API paths and methods, as routed; the test compares them with the document.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/workspace"),
    ("get", "/api/v1/members"),
    ("post", "/api/v1/invitations"),
    ("get", "/api/v1/audit-log"),
    ("get", "/api/v1/calendar.ics"),
];

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

pub fn spec() -> Value {
    let role = json!({ "type": "string", "enum": ["admin", "manager", "editor", "contributor", "analyst"] });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Relais API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The REST API of one Relais workspace. Authenticate with a workspace API token: `Authorization: Bearer rls_…`. The token's role limits what it may do, as a member's role would."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Role": role,
                "Error": {
                    "type": "object", "required": ["error"],
                    "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": {
                        "code": { "type": "string", "description": "Stable machine-readable code, such as `forbidden` or `already_member`." },
                        "message": { "type": "string", "description": "What went wrong and what to do." } } } }
                }
            }
        },
        "paths": {
            "/api/v1/openapi.json": { "get": { "summary": "This document", "security": [], "responses": { "200": { "description": "The OpenAPI document" } } } },
            "/api/v1/workspace": { "get": {
                "summary": "The token's workspace",
                "responses": {
                    "200": { "description": "The workspace and the token's role", "content": { "application/json": { "schema": { "type": "object", "properties": {
                        "id": { "type": "string", "format": "uuid" }, "slug": { "type": "string" }, "name": { "type": "string" },
                        "created_at": { "type": "string", "format": "date-time" },
                        "token": { "type": "object", "properties": { "name": { "type": "string" }, "role": { "$ref": "#/components/schemas/Role" } } } } } } } },
                    "401": error_response("Missing, unknown or revoked token")
                } } },
            "/api/v1/members": { "get": {
                "summary": "Members of the workspace",
                "responses": {
                    "200": { "description": "Members", "content": { "application/json": { "schema": { "type": "object", "properties": { "members": { "type": "array", "items": { "type": "object", "properties": {
                        "id": { "type": "string", "format": "uuid" }, "email": { "type": "string" }, "name": { "type": "string" },
                        "role": { "$ref": "#/components/schemas/Role" }, "joined_at": { "type": "string", "format": "date-time" } } } } } } } } },
                    "401": error_response("Missing, unknown or revoked token")
                } } },
            "/api/v1/invitations": { "post": {
                "summary": "Invite someone by e-mail (manager or admin token)",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["email", "role"], "properties": {
                    "email": { "type": "string", "format": "email" }, "role": { "$ref": "#/components/schemas/Role" } } } } } },
                "responses": {
                    "201": { "description": "Invitation created; `link` is set when Relais could not mail it", "content": { "application/json": { "schema": { "type": "object", "properties": {
                        "id": { "type": "string" }, "email": { "type": "string" }, "role": { "$ref": "#/components/schemas/Role" },
                        "expires_at": { "type": "string", "format": "date-time" }, "link": { "type": ["string", "null"] }, "mailed": { "type": "boolean" } } } } } },
                    "400": error_response("The body is not the expected JSON"),
                    "401": error_response("Missing, unknown or revoked token"),
                    "403": error_response("The token's role may not invite, or not with this role"),
                    "409": error_response("Already a member"),
                    "422": error_response("Invalid e-mail or role")
                } } },
            "/api/v1/calendar.ics": { "get": {
                "summary": "The publishing calendar as iCalendar, for calendar apps (the token goes in the query)",
                "security": [],
                "parameters": [{ "name": "token", "in": "query", "required": true, "schema": { "type": "string" }, "description": "A live API token of the workspace" }],
                "responses": {
                    "200": { "description": "An iCalendar feed, one event per post", "content": { "text/calendar": {} } },
                    "401": error_response("Missing, unknown or revoked token")
                } } },
            "/api/v1/audit-log": { "get": {
                "summary": "The workspace's audit log, newest first (manager or admin token)",
                "parameters": [
                    { "name": "before", "in": "query", "schema": { "type": "string" }, "description": "Page back from this entry id" },
                    { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 50 } }
                ],
                "responses": {
                    "200": { "description": "Entries", "content": { "application/json": { "schema": { "type": "object", "properties": { "entries": { "type": "array", "items": { "type": "object", "properties": {
                        "id": { "type": "string" }, "at": { "type": "string", "format": "date-time" }, "actor": { "type": "string" }, "origin": { "type": "string" },
                        "action": { "type": "string" }, "target": { "type": "string" }, "details": {} } } } } } } } },
                    "401": error_response("Missing, unknown or revoked token"),
                    "403": error_response("The token's role may not read the audit log")
                } } }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(spec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_and_nothing_else() {
        let spec = spec();
        let paths = spec["paths"].as_object().expect("paths");
        let mut documented: Vec<(String, String)> = paths
            .iter()
            .flat_map(|(p, ops)| {
                ops.as_object()
                    .into_iter()
                    .flatten()
                    .map(move |(m, _)| (m.clone(), p.clone()))
            })
            .collect();
        documented.sort();
        let mut routed: Vec<(String, String)> = ROUTES
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        routed.sort();
        assert_eq!(documented, routed);
    }
}
