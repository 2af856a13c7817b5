//! The JSON body of `POST /api/v2/query` read into a [`Query`], refused with Plausible's wording
//! when it is not one.
//!
//! Plausible checks a body twice: against a JSON schema first (those errors read
//! `#/path: message`), then with rules across fields (plain sentences). The messages here keep
//! that split and that wording, so a client written against Plausible meets the errors it knows.
//! What Plausible accepts but Relais cannot answer (city-level geography, segments, behavioural
//! filters, revenue) is refused with a message that says so rather than with a misleading one.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use super::{
    Condition, DateRange, Dimension, Direction, EventDimension, Filter, Include, Metric, Operator,
    OrderKey, Pagination, Query, TimeGrain, VisitDimension,
};

/// Why a query body was refused: shown to the caller as `{"error": "..."}` with status 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(pub String);

/// Reads a query body.
pub fn parse_query(body: &[u8]) -> Result<Query, QueryError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|error| QueryError(format!("The request body is not valid JSON: {error}")))?;
    let Value::Object(fields) = &value else {
        return Err(type_mismatch("#", "Object", &value));
    };
    check_top_level_keys(fields)?;

    let site_id = parse_site_id(required(fields, "site_id")?)?;
    let metrics = parse_metrics(required(fields, "metrics")?)?;
    let date_range = parse_date_range(required(fields, "date_range")?)?;
    let dimensions = parse_dimensions(fields.get("dimensions"))?;
    let filters = parse_filters(fields.get("filters"))?;
    let order_by = parse_order_by(fields.get("order_by"))?;
    let include = parse_include(fields.get("include"))?;
    let pagination = parse_pagination(fields.get("pagination"))?;

    let query = Query {
        site_id,
        metrics,
        date_range,
        dimensions,
        filter: None,
        order_by,
        include,
        pagination,
    };
    validate(&query, &filters)?;
    Ok(Query {
        filter: combine_top_level(filters),
        ..query
    })
}

const TOP_LEVEL_KEYS: [&str; 8] = [
    "site_id",
    "metrics",
    "date_range",
    "dimensions",
    "filters",
    "order_by",
    "include",
    "pagination",
];
const REQUIRED_KEYS: [&str; 3] = ["site_id", "metrics", "date_range"];

// Bounds that keep the work and the answer of one query small; Plausible has none of its own
// except the pagination limit and the relative date ranges.
const MAX_METRICS: usize = 100;
const MAX_DIMENSIONS: usize = 100;
const MAX_FILTERS: usize = 100;
const MAX_FILTER_DEPTH: usize = 10;
const MAX_CLAUSES: usize = 200;
const MAX_LIMIT: u64 = 10_000;
const MAX_LAST_DAYS: u32 = 5_000;
const MAX_LAST_MONTHS: u32 = 100;

fn fail<T>(message: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError(message.into()))
}

// ---------------------------------------------------------------------------------------------
// Top level

fn check_top_level_keys(fields: &Map<String, Value>) -> Result<(), QueryError> {
    if let Some(unknown) = fields
        .keys()
        .find(|key| !TOP_LEVEL_KEYS.contains(&key.as_str()))
    {
        return fail(format!(
            "#/{unknown}: Schema does not allow additional properties."
        ));
    }
    let missing: Vec<&str> = REQUIRED_KEYS
        .into_iter()
        .filter(|key| !fields.contains_key(*key))
        .collect();
    match missing.as_slice() {
        [] => Ok(()),
        [one] => fail(format!("#: Required property {one} was not present.")),
        several => fail(format!(
            "#: Required properties {} were not present.",
            several.join(", ")
        )),
    }
}

fn required<'a>(fields: &'a Map<String, Value>, key: &str) -> Result<&'a Value, QueryError> {
    match fields.get(key) {
        Some(value) => Ok(value),
        None => fail(format!("#: Required property {key} was not present.")),
    }
}

fn parse_site_id(value: &Value) -> Result<String, QueryError> {
    match value {
        Value::String(site_id) => Ok(site_id.clone()),
        other => Err(type_mismatch("#/site_id", "String", other)),
    }
}

/// A `None` top level means no filter; a single entry needs no `And` around it.
fn combine_top_level(mut filters: Vec<Filter>) -> Option<Filter> {
    match filters.len() {
        0 => None,
        1 => filters.pop(),
        _ => Some(Filter::And(filters)),
    }
}

// ---------------------------------------------------------------------------------------------
// Metrics

const METRICS: [Metric; 12] = [
    Metric::Visitors,
    Metric::Visits,
    Metric::Pageviews,
    Metric::ViewsPerVisit,
    Metric::BounceRate,
    Metric::VisitDuration,
    Metric::Events,
    Metric::ConversionRate,
    Metric::GroupConversionRate,
    Metric::ScrollDepth,
    Metric::Percentage,
    Metric::TimeOnPage,
];

/// Plausible's revenue metrics: Relais records no revenue.
const REVENUE_METRICS: [&str; 2] = ["total_revenue", "average_revenue"];

fn metric_named(name: &str) -> Option<Metric> {
    METRICS.into_iter().find(|metric| metric.name() == name)
}

fn parse_metrics(value: &Value) -> Result<Vec<Metric>, QueryError> {
    let items = array_at("#/metrics", value)?;
    if items.is_empty() {
        return fail("#/metrics: Expected a minimum of 1 items but got 0.");
    }
    if items.len() > MAX_METRICS {
        return fail(format!(
            "#/metrics: Relais accepts at most {MAX_METRICS} metrics, got {}.",
            items.len()
        ));
    }
    let mut metrics = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let name = item.as_str().unwrap_or_default();
        match metric_named(name) {
            Some(metric) => metrics.push(metric),
            _ if REVENUE_METRICS.contains(&name) => problems.push(format!(
                "#/metrics/{index}: Metric {} is not supported by Relais, which records no revenue.",
                inspect(item)
            )),
            _ => problems.push(format!(
                "#/metrics/{index}: Invalid metric {}",
                inspect(item)
            )),
        }
    }
    // Like Plausible, every bad entry is reported, one per line.
    if !problems.is_empty() {
        return fail(problems.join("\n"));
    }
    if has_duplicates(&metrics) {
        return fail("#/metrics: Expected items to be unique but they were not.");
    }
    Ok(metrics)
}

// ---------------------------------------------------------------------------------------------
// Dimensions

/// Every dimension with a fixed name, in the order Plausible's documentation lists them.
const NAMED_DIMENSIONS: [(&str, Dimension); 27] = [
    ("event:name", Dimension::Event(EventDimension::Name)),
    ("event:page", Dimension::Event(EventDimension::Page)),
    ("event:hostname", Dimension::Event(EventDimension::Hostname)),
    ("event:goal", Dimension::Event(EventDimension::Goal)),
    ("visit:source", Dimension::Visit(VisitDimension::Source)),
    ("visit:referrer", Dimension::Visit(VisitDimension::Referrer)),
    ("visit:channel", Dimension::Visit(VisitDimension::Channel)),
    (
        "visit:utm_medium",
        Dimension::Visit(VisitDimension::UtmMedium),
    ),
    (
        "visit:utm_source",
        Dimension::Visit(VisitDimension::UtmSource),
    ),
    (
        "visit:utm_campaign",
        Dimension::Visit(VisitDimension::UtmCampaign),
    ),
    (
        "visit:utm_content",
        Dimension::Visit(VisitDimension::UtmContent),
    ),
    ("visit:utm_term", Dimension::Visit(VisitDimension::UtmTerm)),
    ("visit:country", Dimension::Visit(VisitDimension::Country)),
    ("visit:browser", Dimension::Visit(VisitDimension::Browser)),
    (
        "visit:browser_version",
        Dimension::Visit(VisitDimension::BrowserVersion),
    ),
    ("visit:os", Dimension::Visit(VisitDimension::Os)),
    (
        "visit:os_version",
        Dimension::Visit(VisitDimension::OsVersion),
    ),
    ("visit:device", Dimension::Visit(VisitDimension::Device)),
    (
        "visit:entry_page",
        Dimension::Visit(VisitDimension::EntryPage),
    ),
    (
        "visit:exit_page",
        Dimension::Visit(VisitDimension::ExitPage),
    ),
    (
        "visit:entry_page_hostname",
        Dimension::Visit(VisitDimension::EntryPageHostname),
    ),
    (
        "visit:exit_page_hostname",
        Dimension::Visit(VisitDimension::ExitPageHostname),
    ),
    ("time", Dimension::Time(TimeGrain::Auto)),
    ("time:hour", Dimension::Time(TimeGrain::Hour)),
    ("time:day", Dimension::Time(TimeGrain::Day)),
    ("time:week", Dimension::Time(TimeGrain::Week)),
    ("time:month", Dimension::Time(TimeGrain::Month)),
];

const PROP_PREFIX: &str = "event:props:";

const LOCATION_HINT: &str =
    "it records the visitor's country only (use visit:country, an ISO 3166-1 alpha-2 code).";
const SCREEN_HINT: &str = "use visit:device.";

/// What a dimension's name stands for.
enum NamedDimension {
    Known(Dimension),
    /// Valid in Plausible, not recorded by Relais: the hint says what to use instead.
    NotInRelais(&'static str),
    Unknown,
}

fn dimension_named(name: &str) -> NamedDimension {
    if let Some(key) = name.strip_prefix(PROP_PREFIX) {
        // Plausible's schema pattern `^event:props:.+` needs one character other than a newline.
        return if key.is_empty() || key.starts_with('\n') {
            NamedDimension::Unknown
        } else {
            NamedDimension::Known(Dimension::Event(EventDimension::Prop(key.to_owned())))
        };
    }
    if let Some((_, dimension)) = NAMED_DIMENSIONS.iter().find(|(known, _)| *known == name) {
        return NamedDimension::Known(dimension.clone());
    }
    match name {
        "visit:country_name" | "visit:region" | "visit:region_name" | "visit:city"
        | "visit:city_name" => NamedDimension::NotInRelais(LOCATION_HINT),
        "visit:screen" => NamedDimension::NotInRelais(SCREEN_HINT),
        _ => NamedDimension::Unknown,
    }
}

/// A dimension by its name in the API (`visit:source`, `event:props:plan`…), if Relais has it.
pub fn dimension_by_name(name: &str) -> Option<Dimension> {
    match dimension_named(name) {
        NamedDimension::Known(d) => Some(d),
        NamedDimension::NotInRelais(_) | NamedDimension::Unknown => None,
    }
}

/// A dimension's name in the API.
pub fn dimension_name(dimension: &Dimension) -> String {
    dimension_label(dimension)
}

/// The dimension's name in the API.
fn dimension_label(dimension: &Dimension) -> String {
    if let Dimension::Event(EventDimension::Prop(key)) = dimension {
        return format!("{PROP_PREFIX}{key}");
    }
    NAMED_DIMENSIONS
        .iter()
        .find(|(_, known)| known == dimension)
        .map(|(name, _)| (*name).to_owned())
        .unwrap_or_default()
}

fn not_in_relais(value: &Value, hint: &str) -> String {
    format!(
        "Dimension {} is not supported by Relais: {hint}",
        inspect(value)
    )
}

fn parse_dimensions(value: Option<&Value>) -> Result<Vec<Dimension>, QueryError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let items = array_at("#/dimensions", value)?;
    if items.len() > MAX_DIMENSIONS {
        return fail(format!(
            "#/dimensions: Relais accepts at most {MAX_DIMENSIONS} dimensions, got {}.",
            items.len()
        ));
    }
    let mut dimensions = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match item.as_str().map(dimension_named) {
            Some(NamedDimension::Known(dimension)) => dimensions.push(dimension),
            Some(NamedDimension::NotInRelais(hint)) => {
                problems.push(format!(
                    "#/dimensions/{index}: {}",
                    not_in_relais(item, hint)
                ));
            }
            _ => problems.push(format!(
                "#/dimensions/{index}: Invalid dimension {}",
                inspect(item)
            )),
        }
    }
    if !problems.is_empty() {
        return fail(problems.join("\n"));
    }
    if has_duplicates(&dimensions) {
        return fail("#/dimensions: Expected items to be unique but they were not.");
    }
    Ok(dimensions)
}

// ---------------------------------------------------------------------------------------------
// Date range

fn parse_date_range(value: &Value) -> Result<DateRange, QueryError> {
    match value {
        Value::String(shorthand) => parse_shorthand_range(shorthand, value),
        Value::Array(bounds) => parse_bounded_range(bounds, value),
        _ => Err(invalid_date_range(value)),
    }
}

fn invalid_date_range(value: &Value) -> QueryError {
    QueryError(format!(
        "#/date_range: Invalid date range {}",
        inspect(value)
    ))
}

fn parse_shorthand_range(shorthand: &str, value: &Value) -> Result<DateRange, QueryError> {
    match shorthand {
        "day" => Ok(DateRange::Today),
        "month" => Ok(DateRange::ThisMonth),
        "year" => Ok(DateRange::ThisYear),
        "all" => Ok(DateRange::All),
        // A sliding window ending "now": the typed range has no way to say so.
        "24h" => fail(
            "#/date_range: Date range \"24h\" is not supported by Relais; use \"day\" or two ISO 8601 date-times.",
        ),
        _ => parse_counted_range(shorthand).unwrap_or_else(|| Err(invalid_date_range(value))),
    }
}

/// `Nd` (the last N whole days) and `Nmo` (the last N whole months). Plausible's schema takes
/// any count; its parser then keeps 1..=5000 days and 1..=100 months, with a message of its own.
fn parse_counted_range(shorthand: &str) -> Option<Result<DateRange, QueryError>> {
    let digits_end = shorthand
        .find(|character: char| !character.is_ascii_digit())
        .unwrap_or(shorthand.len());
    let (digits, unit) = shorthand.split_at(digits_end);
    if digits.is_empty() || !matches!(unit, "d" | "mo") {
        return None;
    }
    let count = digits.parse::<u32>().ok();
    Some(match (unit, count) {
        ("d", Some(days)) if (1..=MAX_LAST_DAYS).contains(&days) => Ok(DateRange::LastDays(days)),
        ("mo", Some(months)) if (1..=MAX_LAST_MONTHS).contains(&months) => {
            Ok(DateRange::LastMonths(months))
        }
        _ => fail(format!("Invalid date_range {}", inspect_str(shorthand))),
    })
}

fn parse_bounded_range(bounds: &[Value], value: &Value) -> Result<DateRange, QueryError> {
    let [Value::String(from), Value::String(to)] = bounds else {
        return Err(invalid_date_range(value));
    };
    if let (Some(first), Some(last)) = (parse_iso_date(from), parse_iso_date(to)) {
        check_order(first, last, value)?;
        return Ok(DateRange::Dates(first, last));
    }
    match (parse_instant(from), parse_instant(to)) {
        (Some(first), Some(last)) => {
            check_order(first, last, value)?;
            Ok(DateRange::Instants(first, last))
        }
        // Date-times without an offset pass Plausible's schema, then its parser refuses them.
        _ if is_date_time(from) && is_date_time(to) => {
            fail(format!("Invalid date_range '{}'.", inspect(value)))
        }
        _ => Err(invalid_date_range(value)),
    }
}

/// A range that ends before it starts is a mistake worth telling, not an empty answer.
fn check_order<T: PartialOrd>(first: T, last: T, value: &Value) -> Result<(), QueryError> {
    if first > last {
        return fail(format!(
            "Invalid date_range {}: it ends before it starts.",
            inspect(value)
        ));
    }
    Ok(())
}

/// `YYYY-MM-DD` exactly: chrono alone would also take `2024-1-1` or `+2024-01-01`.
fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    let shaped = text.len() == 10
        && text
            .bytes()
            .enumerate()
            .all(|(position, byte)| match position {
                4 | 7 => byte == b'-',
                _ => byte.is_ascii_digit(),
            });
    if !shaped {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|instant| instant.with_timezone(&Utc))
}

/// A date-time with or without an offset, which is what Plausible's schema lets through.
fn is_date_time(text: &str) -> bool {
    parse_instant(text).is_some()
        || NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
}

// ---------------------------------------------------------------------------------------------
// Filters

/// Where a filter went wrong, before the position of its top-level entry is known.
enum FilterProblem {
    /// Does not match Plausible's schema: reported with the whole top-level entry, as Plausible
    /// does.
    Schema,
    /// Valid for Plausible, not for Relais: the reason, to follow the entry's position.
    NotInRelais(String),
    /// A complete message, worded as Plausible's parser words it.
    Invalid(String),
}

impl FilterProblem {
    fn into_error(self, index: usize, entry: &Value) -> QueryError {
        match self {
            FilterProblem::Schema => QueryError(format!(
                "#/filters/{index}: Invalid filter {}",
                inspect(entry)
            )),
            FilterProblem::NotInRelais(reason) => {
                QueryError(format!("#/filters/{index}: {reason}"))
            }
            FilterProblem::Invalid(message) => QueryError(message),
        }
    }
}

fn parse_filters(value: Option<&Value>) -> Result<Vec<Filter>, QueryError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let entries = array_at("#/filters", value)?;
    let mut reader = FilterReader { nodes: 0 };
    let mut filters = Vec::with_capacity(entries.len().min(MAX_FILTERS));
    for (index, entry) in entries.iter().enumerate() {
        let filter = reader
            .read(entry, 1)
            .map_err(|problem| problem.into_error(index, entry))?;
        filters.push(filter);
    }
    Ok(filters)
}

/// Reads a filter tree while counting its nodes, so that no body can make it work long or
/// recurse deep.
struct FilterReader {
    nodes: usize,
}

impl FilterReader {
    fn read(&mut self, value: &Value, depth: usize) -> Result<Filter, FilterProblem> {
        self.nodes += 1;
        if self.nodes > MAX_FILTERS {
            return Err(FilterProblem::Invalid(format!(
                "#/filters: Relais accepts at most {MAX_FILTERS} filters in a query, each and, or and not counting as one."
            )));
        }
        if depth > MAX_FILTER_DEPTH {
            return Err(FilterProblem::NotInRelais(format!(
                "Filters are nested more than {MAX_FILTER_DEPTH} levels deep, the most Relais accepts."
            )));
        }
        let Value::Array(items) = value else {
            return Err(FilterProblem::Schema);
        };
        let Some(Value::String(operator)) = items.first() else {
            return Err(FilterProblem::Schema);
        };
        match operator.as_str() {
            "and" | "or" => self.read_group(operator == "and", items, depth),
            "not" => self.read_negation(items, depth),
            "has_done" | "has_not_done" => Err(FilterProblem::NotInRelais(
                "Behavioral filters (has_done, has_not_done) are not supported by Relais.".into(),
            )),
            other => match operator_named(other) {
                Some(operator) => read_condition(operator, items, value).map(Filter::Condition),
                None => Err(FilterProblem::Schema),
            },
        }
    }

    fn read_group(
        &mut self,
        is_and: bool,
        items: &[Value],
        depth: usize,
    ) -> Result<Filter, FilterProblem> {
        let [_, Value::Array(children)] = items else {
            return Err(FilterProblem::Schema);
        };
        if children.is_empty() {
            return Err(FilterProblem::Schema);
        }
        let children = children
            .iter()
            .map(|child| self.read(child, depth + 1))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(if is_and {
            Filter::And(children)
        } else {
            Filter::Or(children)
        })
    }

    fn read_negation(&mut self, items: &[Value], depth: usize) -> Result<Filter, FilterProblem> {
        let [_, negated] = items else {
            return Err(FilterProblem::Schema);
        };
        Ok(Filter::Not(Box::new(self.read(negated, depth + 1)?)))
    }
}

fn operator_named(name: &str) -> Option<Operator> {
    Some(match name {
        "is" => Operator::Is,
        "is_not" => Operator::IsNot,
        "contains" => Operator::Contains,
        "contains_not" => Operator::ContainsNot,
        "matches" => Operator::Matches,
        "matches_not" => Operator::MatchesNot,
        _ => return None,
    })
}

/// `[operator, dimension, clauses]` or `[operator, dimension, clauses, modifiers]`.
fn read_condition(
    operator: Operator,
    items: &[Value],
    whole: &Value,
) -> Result<Condition, FilterProblem> {
    let (dimension, clauses, modifiers) = match items {
        [_, dimension, clauses] => (dimension, clauses, None),
        [_, dimension, clauses, modifiers] => (dimension, clauses, Some(modifiers)),
        _ => return Err(FilterProblem::Schema),
    };
    let dimension = filter_dimension(dimension, operator)?;
    let Value::Array(clauses) = clauses else {
        return Err(FilterProblem::Schema);
    };
    if clauses.len() > MAX_CLAUSES {
        return Err(FilterProblem::NotInRelais(format!(
            "A filter has {} clauses; Relais accepts at most {MAX_CLAUSES}.",
            clauses.len()
        )));
    }
    let case_sensitive = match modifiers {
        Some(modifiers) => read_modifiers(modifiers, operator)?,
        None => true,
    };
    let clauses = read_clauses(clauses, whole)?;
    check_country_codes(&dimension, operator, &clauses)?;
    Ok(Condition {
        operator,
        dimension,
        clauses,
        case_sensitive,
    })
}

fn filter_dimension(value: &Value, operator: Operator) -> Result<Dimension, FilterProblem> {
    let Value::String(name) = value else {
        return Err(FilterProblem::Schema);
    };
    if name == "segment" {
        return Err(FilterProblem::NotInRelais(
            "Segments are not supported by Relais.".into(),
        ));
    }
    match dimension_named(name) {
        // Time is chosen with date_range, never filtered.
        NamedDimension::Known(Dimension::Time(_)) | NamedDimension::Unknown => {
            Err(FilterProblem::Schema)
        }
        // Goals can only be included: Plausible's schema has no negative operator for them.
        NamedDimension::Known(Dimension::Event(EventDimension::Goal))
            if !matches!(operator, Operator::Is | Operator::Contains) =>
        {
            Err(FilterProblem::Schema)
        }
        NamedDimension::Known(dimension) => Ok(dimension),
        NamedDimension::NotInRelais(hint) => {
            Err(FilterProblem::NotInRelais(not_in_relais(value, hint)))
        }
    }
}

/// `{"case_sensitive": bool}`, allowed on every operator but the regular expressions.
fn read_modifiers(value: &Value, operator: Operator) -> Result<bool, FilterProblem> {
    if matches!(operator, Operator::Matches | Operator::MatchesNot) {
        return Err(FilterProblem::Schema);
    }
    let Value::Object(modifiers) = value else {
        return Err(FilterProblem::Schema);
    };
    let mut case_sensitive = true;
    for (key, modifier) in modifiers {
        match (key.as_str(), modifier) {
            ("case_sensitive", Value::Bool(flag)) => case_sensitive = *flag,
            _ => return Err(FilterProblem::Schema),
        }
    }
    Ok(case_sensitive)
}

/// Strings only. Plausible's schema also lets integers through, for city and segment ids that
/// Relais does not have, and its parser then refuses them elsewhere.
fn read_clauses(values: &[Value], whole: &Value) -> Result<Vec<String>, FilterProblem> {
    let mut clauses = Vec::with_capacity(values.len());
    let mut has_integer = false;
    for value in values {
        match value {
            Value::String(clause) => clauses.push(clause.clone()),
            Value::Number(number) if !number.is_f64() => has_integer = true,
            _ => return Err(FilterProblem::Schema),
        }
    }
    if has_integer {
        return Err(FilterProblem::Invalid(format!(
            "Invalid filter '{}'.",
            inspect(whole)
        )));
    }
    Ok(clauses)
}

fn check_country_codes(
    dimension: &Dimension,
    operator: Operator,
    clauses: &[String],
) -> Result<(), FilterProblem> {
    let exact_country = *dimension == Dimension::Visit(VisitDimension::Country)
        && matches!(operator, Operator::Is | Operator::IsNot);
    if exact_country && clauses.iter().any(|code| code.chars().count() != 2) {
        return Err(FilterProblem::Invalid(
            "Invalid visit:country filter, visit:country needs to be a valid 2-letter country code."
                .into(),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Order, include, pagination

fn parse_order_by(value: Option<&Value>) -> Result<Vec<(OrderKey, Direction)>, QueryError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    array_at("#/order_by", value)?
        .iter()
        .enumerate()
        .map(|(index, entry)| parse_order_entry(index, entry))
        .collect()
}

fn parse_order_entry(index: usize, entry: &Value) -> Result<(OrderKey, Direction), QueryError> {
    let path = format!("#/order_by/{index}");
    let items = array_at(&path, entry)?;
    let [key, direction] = items.as_slice() else {
        return fail(if items.len() < 2 {
            format!(
                "{path}: Expected a minimum of 2 items but got {}.",
                items.len()
            )
        } else {
            format!(
                "{path}: Expected a maximum of 2 items but got {}.",
                items.len()
            )
        });
    };
    let Some(key_found) = order_key(key) else {
        return fail(format!(
            "{path}/0: Invalid value in order_by {}",
            inspect(key)
        ));
    };
    let direction = match direction.as_str() {
        Some("asc") => Direction::Asc,
        Some("desc") => Direction::Desc,
        _ => return fail(format!("{path}/1: Value is not allowed in enum.")),
    };
    Ok((key_found, direction))
}

fn order_key(value: &Value) -> Option<OrderKey> {
    let name = value.as_str()?;
    if let Some(metric) = metric_named(name) {
        return Some(OrderKey::Metric(metric));
    }
    match dimension_named(name) {
        NamedDimension::Known(dimension) => Some(OrderKey::Dimension(dimension)),
        _ => None,
    }
}

fn parse_include(value: Option<&Value>) -> Result<Include, QueryError> {
    let Some(value) = value else {
        return Ok(Include::default());
    };
    let Value::Object(fields) = value else {
        return Err(type_mismatch("#/include", "Object", value));
    };
    let mut include = Include::default();
    for (key, field) in fields {
        let path = format!("#/include/{key}");
        match key.as_str() {
            // Relais has no imported data: asking for it changes nothing.
            "imports" => {
                boolean_at(&path, field)?;
            }
            "time_labels" => include.time_labels = boolean_at(&path, field)?,
            "total_rows" => include.total_rows = boolean_at(&path, field)?,
            "comparisons" => include.compare_previous_period = parse_comparisons(&path, field)?,
            _ => {
                return fail(format!(
                    "{path}: Schema does not allow additional properties."
                ));
            }
        }
    }
    Ok(include)
}

/// `{"mode": "previous_period"}`, optionally with `"match_day_of_week": false`.
fn parse_comparisons(path: &str, value: &Value) -> Result<bool, QueryError> {
    let Value::Object(fields) = value else {
        return Err(type_mismatch(path, "Object", value));
    };
    let no_schema_matches = || {
        fail(format!(
            "{path}: Expected exactly one of the schemata to match, but none of them did."
        ))
    };
    let mode = match fields.get("mode") {
        Some(Value::String(mode)) => mode.as_str(),
        _ => return no_schema_matches(),
    };
    match mode {
        "previous_period" => {}
        "year_over_year" | "custom" => {
            return fail(format!(
                "{path}: Comparison mode \"{mode}\" is not supported by Relais; use \"previous_period\"."
            ));
        }
        _ => return no_schema_matches(),
    }
    for (key, field) in fields {
        match (key.as_str(), field) {
            ("mode", _) | ("match_day_of_week", Value::Bool(false)) => {}
            ("match_day_of_week", Value::Bool(true)) => {
                return fail(format!(
                    "{path}: match_day_of_week is not supported by Relais."
                ));
            }
            _ => return no_schema_matches(),
        }
    }
    Ok(true)
}

fn parse_pagination(value: Option<&Value>) -> Result<Pagination, QueryError> {
    let mut pagination = Pagination::default();
    let Some(value) = value else {
        return Ok(pagination);
    };
    let Value::Object(fields) = value else {
        return Err(type_mismatch("#/pagination", "Object", value));
    };
    for (key, field) in fields {
        let path = format!("#/pagination/{key}");
        match key.as_str() {
            "limit" => pagination.limit = bounded_integer(&path, field, 1, Some(MAX_LIMIT))?,
            "offset" => pagination.offset = bounded_integer(&path, field, 0, None)?,
            _ => {
                return fail(format!(
                    "{path}: Schema does not allow additional properties."
                ));
            }
        }
    }
    Ok(pagination)
}

fn bounded_integer(
    path: &str,
    value: &Value,
    minimum: u64,
    maximum: Option<u64>,
) -> Result<usize, QueryError> {
    let Value::Number(number) = value else {
        return Err(type_mismatch(path, "Integer", value));
    };
    if number.is_f64() {
        return Err(type_mismatch(path, "Integer", value));
    }
    // Not f64 and not u64: a negative integer.
    let Some(integer) = number.as_u64().filter(|integer| *integer >= minimum) else {
        return fail(format!("{path}: Expected the value to be >= {minimum}"));
    };
    if let Some(maximum) = maximum.filter(|maximum| integer > *maximum) {
        return fail(format!("{path}: Expected the value to be <= {maximum}"));
    }
    usize::try_from(integer).or_else(|_| {
        fail(format!(
            "{path}: Expected the value to be <= {}",
            usize::MAX
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// Rules across fields, in the order Plausible applies them

fn validate(query: &Query, top_level: &[Filter]) -> Result<(), QueryError> {
    let leaves = leaf_conditions(top_level);
    validate_order_by(query)?;
    validate_top_level_only_dimensions(&leaves)?;
    validate_conversion_filters(query, &leaves)?;
    for metric in &query.metrics {
        validate_metric(*metric, query, &leaves)?;
    }
    validate_tables(query)?;
    validate_include(query)
}

/// A condition and how deep it sits: 0 for an entry of the top-level list, more under and, or
/// and not.
type Leaf<'a> = (&'a Condition, usize);

fn leaf_conditions(top_level: &[Filter]) -> Vec<Leaf<'_>> {
    let mut leaves = Vec::new();
    for filter in top_level {
        collect_leaves(filter, 0, &mut leaves);
    }
    leaves
}

fn collect_leaves<'a>(filter: &'a Filter, depth: usize, leaves: &mut Vec<Leaf<'a>>) {
    match filter {
        Filter::Condition(condition) => leaves.push((condition, depth)),
        Filter::Not(negated) => collect_leaves(negated, depth + 1, leaves),
        Filter::And(children) | Filter::Or(children) => {
            for child in children {
                collect_leaves(child, depth + 1, leaves);
            }
        }
    }
}

fn filters_on(leaves: &[Leaf<'_>], dimension: &Dimension) -> bool {
    leaves
        .iter()
        .any(|(condition, _)| condition.dimension == *dimension)
}

const GOAL: Dimension = Dimension::Event(EventDimension::Goal);
const PAGE: Dimension = Dimension::Event(EventDimension::Page);

fn validate_order_by(query: &Query) -> Result<(), QueryError> {
    for (key, direction) in &query.order_by {
        let queried = match key {
            OrderKey::Metric(metric) => query.metrics.contains(metric),
            OrderKey::Dimension(dimension) => query.dimensions.contains(dimension),
        };
        if !queried {
            return fail(format!(
                "Invalid order_by entry '{}'. Entry is not a queried metric or dimension.",
                inspect_order_entry(key, *direction)
            ));
        }
    }
    Ok(())
}

/// Goals and hostnames narrow the events a query counts, which only works on the top level.
fn validate_top_level_only_dimensions(leaves: &[Leaf<'_>]) -> Result<(), QueryError> {
    let hostname = Dimension::Event(EventDimension::Hostname);
    let nested = leaves
        .iter()
        .filter(|(_, depth)| *depth > 0)
        .map(|(condition, _)| &condition.dimension)
        .find(|dimension| **dimension == GOAL || **dimension == hostname);
    match nested {
        Some(dimension) => fail(format!(
            "Invalid filters. Dimension `{}` can only be filtered at the top level.",
            dimension_label(dimension)
        )),
        None => Ok(()),
    }
}

fn validate_conversion_filters(query: &Query, leaves: &[Leaf<'_>]) -> Result<(), QueryError> {
    let conversion_metric = query
        .metrics
        .iter()
        .any(|metric| matches!(metric, Metric::ConversionRate | Metric::GroupConversionRate));
    let nested_prop = leaves.iter().any(|(condition, depth)| {
        *depth > 0
            && matches!(
                condition.dimension,
                Dimension::Event(EventDimension::Prop(_))
            )
    });
    if conversion_metric && nested_prop {
        return fail(
            "Invalid filters. When `conversion_rate` or `group_conversion_rate` metrics are used, custom property filters can only be used on top level.",
        );
    }
    Ok(())
}

fn validate_metric(metric: Metric, query: &Query, leaves: &[Leaf<'_>]) -> Result<(), QueryError> {
    let name = metric.name();
    let page_dimension = query.dimensions.contains(&PAGE);
    match metric {
        Metric::ConversionRate | Metric::GroupConversionRate
            if !query.dimensions.contains(&GOAL) && !filters_on(leaves, &GOAL) =>
        {
            fail(format!(
                "Metric `{name}` can only be queried with event:goal filters or dimensions."
            ))
        }
        // Scroll depth needs the page on the top level, where it narrows every event counted.
        Metric::ScrollDepth
            if !page_dimension
                && !leaves
                    .iter()
                    .any(|(condition, depth)| *depth == 0 && condition.dimension == PAGE) =>
        {
            fail(format!(
                "Metric `{name}` can only be queried with event:page filters or dimensions."
            ))
        }
        Metric::TimeOnPage if !page_dimension && !filters_on(leaves, &PAGE) => fail(format!(
            "Metric `{name}` can only be queried with event:page filters or dimensions."
        )),
        Metric::ViewsPerVisit if filters_on(leaves, &PAGE) => fail(format!(
            "Metric `{name}` cannot be queried with a filter on `event:page`."
        )),
        Metric::ViewsPerVisit if !query.dimensions.is_empty() => fail(format!(
            "Metric `{name}` cannot be queried with `dimensions`."
        )),
        _ => Ok(()),
    }
}

/// Which records a metric or a dimension is read from.
#[derive(PartialEq)]
enum Table {
    Events,
    Sessions,
    Either,
}

fn metric_table(metric: Metric) -> Table {
    match metric {
        Metric::Pageviews | Metric::Events | Metric::ScrollDepth | Metric::TimeOnPage => {
            Table::Events
        }
        Metric::BounceRate | Metric::VisitDuration | Metric::ViewsPerVisit => Table::Sessions,
        Metric::Visitors
        | Metric::Visits
        | Metric::ConversionRate
        | Metric::GroupConversionRate
        | Metric::Percentage => Table::Either,
    }
}

fn dimension_table(dimension: &Dimension) -> Table {
    match dimension {
        Dimension::Event(_) => Table::Events,
        Dimension::Visit(
            VisitDimension::EntryPage
            | VisitDimension::ExitPage
            | VisitDimension::EntryPageHostname
            | VisitDimension::ExitPageHostname,
        ) => Table::Sessions,
        Dimension::Visit(_) | Dimension::Time(_) => Table::Either,
    }
}

/// A row groups events or sessions, not both: a per-session metric cannot be split by a
/// per-event dimension, nor the reverse. Grouping by page alone is the exception Plausible
/// makes (it counts a session under each page it saw).
fn validate_tables(query: &Query) -> Result<(), QueryError> {
    let metrics_of = |table: Table| -> Vec<String> {
        query
            .metrics
            .iter()
            .filter(|metric| metric_table(**metric) == table)
            .map(|metric| metric.name().to_owned())
            .collect()
    };
    let dimensions_of = |table: Table| -> Vec<String> {
        query
            .dimensions
            .iter()
            .filter(|dimension| dimension_table(dimension) == table)
            .map(dimension_label)
            .collect()
    };
    let event_dimensions = dimensions_of(Table::Events);
    if event_dimensions == ["event:page"] {
        return Ok(());
    }
    let session_metrics = metrics_of(Table::Sessions);
    if !session_metrics.is_empty() && !event_dimensions.is_empty() {
        return fail(format!(
            "Session metric(s) {} cannot be queried along with event dimension(s) {}",
            backquoted(&session_metrics),
            backquoted(&event_dimensions)
        ));
    }
    let event_metrics = metrics_of(Table::Events);
    let session_dimensions = dimensions_of(Table::Sessions);
    if !event_metrics.is_empty() && !session_dimensions.is_empty() {
        return fail(format!(
            "Event metric(s) {} cannot be queried along with session dimension(s) {}",
            backquoted(&event_metrics),
            backquoted(&session_dimensions)
        ));
    }
    Ok(())
}

fn backquoted(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn validate_include(query: &Query) -> Result<(), QueryError> {
    let time_dimension = query
        .dimensions
        .iter()
        .any(|dimension| matches!(dimension, Dimension::Time(_)));
    if query.include.time_labels && !time_dimension {
        return fail("Invalid include.time_labels: requires a time dimension.");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// JSON helpers

fn array_at<'a>(path: &str, value: &'a Value) -> Result<&'a Vec<Value>, QueryError> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(type_mismatch(path, "Array", other)),
    }
}

fn boolean_at(path: &str, value: &Value) -> Result<bool, QueryError> {
    match value {
        Value::Bool(flag) => Ok(*flag),
        other => Err(type_mismatch(path, "Boolean", other)),
    }
}

fn type_mismatch(path: &str, expected: &str, value: &Value) -> QueryError {
    QueryError(format!(
        "{path}: Type mismatch. Expected {expected} but got {}.",
        type_name(value)
    ))
}

/// JSON schema's names for JSON types.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(number) if number.is_f64() => "Number",
        Value::Number(_) => "Integer",
        Value::String(_) => "String",
        Value::Array(_) => "Array",
        Value::Object(_) => "Object",
    }
}

fn has_duplicates<T: PartialEq>(items: &[T]) -> bool {
    items
        .iter()
        .enumerate()
        .any(|(index, item)| items[..index].contains(item))
}

// ---------------------------------------------------------------------------------------------
// Values quoted in messages, shown as Elixir's `inspect` shows them because Plausible's messages
// do. The quote is cut short so that a huge body cannot make a huge message.

const INSPECT_MAX_ITEMS: usize = 50;
const INSPECT_MAX_BYTES: usize = 1_000;

fn inspect(value: &Value) -> String {
    let mut text = String::new();
    write_inspected(value, &mut text);
    if text.len() > INSPECT_MAX_BYTES {
        let mut cut = INSPECT_MAX_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    text
}

fn inspect_str(text: &str) -> String {
    let mut quoted = String::new();
    write_string(text, &mut quoted);
    quoted
}

fn write_inspected(value: &Value, text: &mut String) {
    // Once past the cut, the rest would be thrown away: stop early.
    if text.len() > INSPECT_MAX_BYTES {
        return;
    }
    match value {
        Value::Null => text.push_str("nil"),
        Value::Bool(flag) => text.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => text.push_str(&number.to_string()),
        Value::String(string) => write_string(string, text),
        Value::Array(items) => {
            text.push('[');
            write_items(items.iter(), items.len(), text, write_inspected);
            text.push(']');
        }
        Value::Object(fields) => {
            text.push_str("%{");
            write_items(fields.iter(), fields.len(), text, |(key, field), text| {
                write_string(key, text);
                text.push_str(" => ");
                write_inspected(field, text);
            });
            text.push('}');
        }
    }
}

fn write_items<I: Iterator>(
    items: I,
    count: usize,
    text: &mut String,
    write_item: impl Fn(I::Item, &mut String),
) {
    for (index, item) in items.take(INSPECT_MAX_ITEMS).enumerate() {
        if index > 0 {
            text.push_str(", ");
        }
        write_item(item, text);
    }
    if count > INSPECT_MAX_ITEMS {
        text.push_str(", ...");
    }
}

fn write_string(string: &str, text: &mut String) {
    text.push('"');
    for character in string.chars() {
        if text.len() > INSPECT_MAX_BYTES {
            break;
        }
        match character {
            '"' => text.push_str("\\\""),
            '\\' => text.push_str("\\\\"),
            '\n' => text.push_str("\\n"),
            '\r' => text.push_str("\\r"),
            '\t' => text.push_str("\\t"),
            control if control.is_control() => {
                text.push_str(&format!("\\u{{{:X}}}", u32::from(control)));
            }
            other => text.push(other),
        }
    }
    text.push('"');
}

fn inspect_order_entry(key: &OrderKey, direction: Direction) -> String {
    let direction = match direction {
        Direction::Asc => ":asc",
        Direction::Desc => ":desc",
    };
    match key {
        OrderKey::Metric(metric) => format!("{{:{}, {direction}}}", metric.name()),
        OrderKey::Dimension(dimension) => format!(
            "{{{}, {direction}}}",
            inspect_str(&dimension_label(dimension))
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(body: Value) -> Query {
        match parse_query(body.to_string().as_bytes()) {
            Ok(query) => query,
            Err(error) => panic!("refused {body}: {error}"),
        }
    }

    fn refused(body: Value) -> String {
        match parse_query(body.to_string().as_bytes()) {
            Ok(query) => panic!("accepted {body}: {query:?}"),
            Err(QueryError(message)) => message,
        }
    }

    /// A minimal valid body with `key` set to `value`.
    fn with(key: &str, value: Value) -> Value {
        let mut body =
            json!({"site_id": "dummy.site", "metrics": ["visitors"], "date_range": "all"});
        body[key] = value;
        body
    }

    fn condition(operator: Operator, dimension: Dimension, clauses: &[&str]) -> Filter {
        Filter::Condition(Condition {
            operator,
            dimension,
            clauses: clauses.iter().map(|clause| (*clause).to_owned()).collect(),
            case_sensitive: true,
        })
    }

    fn visit(dimension: VisitDimension) -> Dimension {
        Dimension::Visit(dimension)
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn documentation_curl_example_gets_every_default() {
        let query =
            parsed(json!({"site_id": "dummy.site", "metrics": ["visitors"], "date_range": "7d"}));
        assert_eq!(
            query,
            Query {
                site_id: "dummy.site".into(),
                metrics: vec![Metric::Visitors],
                date_range: DateRange::LastDays(7),
                dimensions: vec![],
                filter: None,
                order_by: vec![],
                include: Include::default(),
                pagination: Pagination {
                    limit: 10_000,
                    offset: 0
                },
            }
        );
    }

    #[test]
    fn utm_breakdown_with_filter_order_include_and_pagination() {
        let query = parsed(json!({
            "site_id": "shop.example.fr",
            "metrics": ["visitors", "events", "pageviews"],
            "date_range": ["2024-01-01", "2024-07-01"],
            "dimensions": ["visit:utm_medium", "visit:utm_source"],
            "filters": [["is_not", "visit:utm_medium", [""]]],
            "order_by": [["visitors", "desc"], ["visit:utm_source", "asc"]],
            "include": {"total_rows": true, "imports": true},
            "pagination": {"limit": 50, "offset": 100}
        }));
        assert_eq!(
            query.date_range,
            DateRange::Dates(date("2024-01-01"), date("2024-07-01"))
        );
        assert_eq!(
            query.dimensions,
            vec![
                visit(VisitDimension::UtmMedium),
                visit(VisitDimension::UtmSource)
            ]
        );
        assert_eq!(
            query.filter,
            Some(condition(
                Operator::IsNot,
                visit(VisitDimension::UtmMedium),
                &[""]
            ))
        );
        assert_eq!(
            query.order_by,
            vec![
                (OrderKey::Metric(Metric::Visitors), Direction::Desc),
                (
                    OrderKey::Dimension(visit(VisitDimension::UtmSource)),
                    Direction::Asc
                ),
            ]
        );
        assert_eq!(
            query.include,
            Include {
                time_labels: false,
                total_rows: true,
                compare_previous_period: false
            }
        );
        assert_eq!(
            query.pagination,
            Pagination {
                limit: 50,
                offset: 100
            }
        );
    }

    #[test]
    fn every_documented_dimension_is_understood() {
        let names: Vec<&str> = NAMED_DIMENSIONS.iter().map(|(name, _)| *name).collect();
        let query = parsed(with("dimensions", json!(names)));
        assert_eq!(query.dimensions.len(), 27);
        assert_eq!(query.dimensions[3], GOAL);
        assert_eq!(query.dimensions[22], Dimension::Time(TimeGrain::Auto));
        assert_eq!(query.dimensions[26], Dimension::Time(TimeGrain::Month));
        for dimension in &query.dimensions {
            assert!(
                matches!(dimension_named(&dimension_label(dimension)), NamedDimension::Known(d) if d == *dimension)
            );
        }
    }

    #[test]
    fn shorthand_date_ranges() {
        for (shorthand, expected) in [
            ("day", DateRange::Today),
            ("7d", DateRange::LastDays(7)),
            ("10d", DateRange::LastDays(10)),
            ("28d", DateRange::LastDays(28)),
            ("30d", DateRange::LastDays(30)),
            ("91d", DateRange::LastDays(91)),
            ("5000d", DateRange::LastDays(5000)),
            ("month", DateRange::ThisMonth),
            ("3mo", DateRange::LastMonths(3)),
            ("6mo", DateRange::LastMonths(6)),
            ("12mo", DateRange::LastMonths(12)),
            ("year", DateRange::ThisYear),
            ("all", DateRange::All),
        ] {
            assert_eq!(
                parsed(with("date_range", json!(shorthand))).date_range,
                expected,
                "{shorthand}"
            );
        }
    }

    #[test]
    fn shorthands_outside_the_schema_or_the_bounds() {
        for bad in ["-1d", "foo", "d", "7 d", "1h", "realtime", "30m", ""] {
            assert_eq!(
                refused(with("date_range", json!(bad))),
                format!("#/date_range: Invalid date range \"{bad}\"")
            );
        }
        for out_of_bounds in [
            "0d",
            "5001d",
            "999999999mo",
            "101mo",
            "99999999999999999999999d",
        ] {
            assert_eq!(
                refused(with("date_range", json!(out_of_bounds))),
                format!("Invalid date_range \"{out_of_bounds}\"")
            );
        }
        assert_eq!(
            refused(with("date_range", json!(7))),
            "#/date_range: Invalid date range 7"
        );
    }

    #[test]
    fn last_24_hours_is_refused_as_unsupported() {
        assert!(refused(with("date_range", json!("24h"))).contains("not supported by Relais"));
    }

    #[test]
    fn date_time_ranges_with_offsets_become_utc_instants() {
        let query = parsed(with(
            "date_range",
            json!(["2024-08-29T07:12:34-07:00", "2024-08-29T10:12:34-07:00"]),
        ));
        let expected = |text: &str| parse_instant(text).unwrap_or_default();
        assert_eq!(
            query.date_range,
            DateRange::Instants(
                expected("2024-08-29T14:12:34Z"),
                expected("2024-08-29T17:12:34Z")
            )
        );
        assert_eq!(
            expected("2024-08-29T14:12:34Z").to_rfc3339(),
            "2024-08-29T14:12:34+00:00"
        );
    }

    #[test]
    fn bad_custom_ranges() {
        assert_eq!(
            refused(with(
                "date_range",
                json!(["2021-02-03T00:00:00", "2021-02-03T23:59:59"])
            )),
            "Invalid date_range '[\"2021-02-03T00:00:00\", \"2021-02-03T23:59:59\"]'."
        );
        for bad in [
            json!(["2021-02-03T00:00:00Z", "2021-02-04"]),
            json!(["2021-02-03T00:00:00-25:00", "2021-02-03T23:59:59-25:00"]),
            json!(["21415-00", "eee"]),
            json!(["2024-1-1", "2024-01-31"]),
            json!(["2024-02-30", "2024-03-01"]),
            json!(["2024-01-01"]),
            json!(["2024-01-01", "2024-01-02", "2024-01-03"]),
        ] {
            assert_eq!(
                refused(with("date_range", bad.clone())),
                format!("#/date_range: Invalid date range {}", inspect(&bad))
            );
        }
        assert_eq!(
            refused(with("date_range", json!(["2024-07-01", "2024-01-01"]))),
            "Invalid date_range [\"2024-07-01\", \"2024-01-01\"]: it ends before it starts."
        );
    }

    #[test]
    fn metric_errors_use_plausibles_words() {
        assert_eq!(
            refused(with("metrics", json!(["visitors", "baa"]))),
            "#/metrics/1: Invalid metric \"baa\""
        );
        assert_eq!(
            refused(with("metrics", json!([]))),
            "#/metrics: Expected a minimum of 1 items but got 0."
        );
        assert_eq!(
            refused(with("metrics", json!(["events", "visitors", "visitors"]))),
            "#/metrics: Expected items to be unique but they were not."
        );
        assert_eq!(
            refused(with("metrics", json!([1, "visits", null]))),
            "#/metrics/0: Invalid metric 1\n#/metrics/2: Invalid metric nil"
        );
        assert_eq!(
            refused(with("metrics", json!("visitors"))),
            "#/metrics: Type mismatch. Expected Array but got String."
        );
        assert!(
            refused(with("metrics", json!(["total_revenue"]))).contains("not supported by Relais")
        );
    }

    #[test]
    fn dimension_errors() {
        assert_eq!(
            refused(with("dimensions", json!(["badproperty"]))),
            "#/dimensions/0: Invalid dimension \"badproperty\""
        );
        assert_eq!(
            refused(with("dimensions", json!(["event:props:"]))),
            "#/dimensions/0: Invalid dimension \"event:props:\""
        );
        assert_eq!(
            refused(with("dimensions", json!(["time:minute"]))),
            "#/dimensions/0: Invalid dimension \"time:minute\""
        );
        assert_eq!(
            refused(with("dimensions", json!(["event:name", "event:name"]))),
            "#/dimensions: Expected items to be unique but they were not."
        );
        assert_eq!(
            refused(with("dimensions", json!("foobar"))),
            "#/dimensions: Type mismatch. Expected Array but got String."
        );
    }

    #[test]
    fn geography_below_the_country_is_refused_with_a_way_out() {
        let message = refused(json!({
            "site_id": "dummy.site",
            "metrics": ["visitors", "pageviews", "bounce_rate"],
            "date_range": "7d",
            "filters": [["is_not", "visit:country_name", [""]]],
            "dimensions": ["visit:country_name", "visit:city_name"]
        }));
        assert_eq!(
            message,
            format!(
                "#/dimensions/0: Dimension \"visit:country_name\" is not supported by Relais: {LOCATION_HINT}\n\
                 #/dimensions/1: Dimension \"visit:city_name\" is not supported by Relais: {LOCATION_HINT}"
            )
        );
        assert_eq!(
            refused(with("filters", json!([["is", "visit:city", ["Paris"]]]))),
            format!(
                "#/filters/0: Dimension \"visit:city\" is not supported by Relais: {LOCATION_HINT}"
            )
        );
    }

    #[test]
    fn nested_logical_filters_keep_their_shape() {
        let query = parsed(with(
            "filters",
            json!([
                [
                    "or",
                    [
                        [
                            "and",
                            [
                                ["is", "visit:browser", ["Firefox"]],
                                ["is", "visit:country", ["EE"]]
                            ]
                        ],
                        ["not", ["contains", "event:page", ["/blog"]]]
                    ]
                ],
                ["matches", "event:page", ["^/user/\\d+$"]]
            ]),
        ));
        assert_eq!(
            query.filter,
            Some(Filter::And(vec![
                Filter::Or(vec![
                    Filter::And(vec![
                        condition(Operator::Is, visit(VisitDimension::Browser), &["Firefox"]),
                        condition(Operator::Is, visit(VisitDimension::Country), &["EE"]),
                    ]),
                    Filter::Not(Box::new(condition(Operator::Contains, PAGE, &["/blog"]))),
                ]),
                condition(Operator::Matches, PAGE, &["^/user/\\d+$"]),
            ]))
        );
    }

    #[test]
    fn every_operator_and_the_case_modifier() {
        for (name, operator) in [
            ("is", Operator::Is),
            ("is_not", Operator::IsNot),
            ("contains", Operator::Contains),
            ("contains_not", Operator::ContainsNot),
            ("matches", Operator::Matches),
            ("matches_not", Operator::MatchesNot),
        ] {
            let query = parsed(with("filters", json!([[name, "event:name", ["Signup"]]])));
            assert_eq!(
                query.filter,
                Some(condition(
                    operator,
                    Dimension::Event(EventDimension::Name),
                    &["Signup"]
                ))
            );
        }
        let query = parsed(with(
            "filters",
            json!([["contains", "visit:source", ["GOOGLE"], {"case_sensitive": false}]]),
        ));
        let Some(Filter::Condition(found)) = query.filter else {
            panic!("no condition")
        };
        assert!(!found.case_sensitive);
        assert_eq!(
            refused(with(
                "filters",
                json!([["matches", "event:hostname", ["a.plausible.io"], {"case_sensitive": false}]])
            )),
            "#/filters/0: Invalid filter [\"matches\", \"event:hostname\", [\"a.plausible.io\"], %{\"case_sensitive\" => false}]"
        );
        assert_eq!(
            refused(with(
                "filters",
                json!([["is", "event:name", ["x"], {"case_sensitive": "no"}]])
            )),
            "#/filters/0: Invalid filter [\"is\", \"event:name\", [\"x\"], %{\"case_sensitive\" => \"no\"}]"
        );
    }

    #[test]
    fn malformed_filters_quote_the_whole_entry() {
        assert_eq!(
            refused(with("filters", json!([["is", "event:name", "foo"]]))),
            "#/filters/0: Invalid filter [\"is\", \"event:name\", \"foo\"]"
        );
        assert_eq!(
            refused(with("filters", json!([["exists?", "event:name", ["foo"]]]))),
            "#/filters/0: Invalid filter [\"exists?\", \"event:name\", [\"foo\"]]"
        );
        assert_eq!(
            refused(with("filters", json!([["is", "event:device", ["foo"]]]))),
            "#/filters/0: Invalid filter [\"is\", \"event:device\", [\"foo\"]]"
        );
        for too_short in [
            json!([]),
            json!(["and"]),
            json!(["or", []]),
            json!(["not"]),
            json!(["is_not", "event:name"]),
        ] {
            assert_eq!(
                refused(with("filters", json!([too_short.clone()]))),
                format!("#/filters/0: Invalid filter {}", inspect(&too_short))
            );
        }
        assert_eq!(
            refused(with(
                "filters",
                json!([
                    ["is", "event:name", ["a"]],
                    ["not", ["is", "visit:os", [true]]]
                ])
            )),
            "#/filters/1: Invalid filter [\"not\", [\"is\", \"visit:os\", [true]]]"
        );
        assert_eq!(
            refused(with("filters", json!("foobar"))),
            "#/filters: Type mismatch. Expected Array but got String."
        );
    }

    #[test]
    fn time_cannot_be_filtered() {
        assert_eq!(
            refused(with("filters", json!([["is", "time:day", ["2024-01-01"]]]))),
            "#/filters/0: Invalid filter [\"is\", \"time:day\", [\"2024-01-01\"]]"
        );
    }

    #[test]
    fn clause_contents_are_checked() {
        assert_eq!(
            refused(with("filters", json!([["is", "visit:os_version", [123]]]))),
            "Invalid filter '[\"is\", \"visit:os_version\", [123]]'."
        );
        assert_eq!(
            refused(with("filters", json!([["is", "visit:country", ["USA"]]]))),
            "Invalid visit:country filter, visit:country needs to be a valid 2-letter country code."
        );
        // Containment on a country is free text, not a code.
        parsed(with(
            "filters",
            json!([["contains", "visit:country", ["U"]]]),
        ));
    }

    #[test]
    fn goal_filters_are_top_level_inclusions() {
        assert_eq!(
            refused(with(
                "filters",
                json!([["is_not", "event:goal", ["Signup"]]])
            )),
            "#/filters/0: Invalid filter [\"is_not\", \"event:goal\", [\"Signup\"]]"
        );
        assert_eq!(
            refused(with(
                "filters",
                json!([[
                    "or",
                    [
                        ["is", "event:goal", ["Signup"]],
                        ["is", "event:name", ["pageview"]]
                    ]
                ]])
            )),
            "Invalid filters. Dimension `event:goal` can only be filtered at the top level."
        );
        assert_eq!(
            refused(with(
                "filters",
                json!([["not", ["is", "event:hostname", ["a.plausible.io"]]]])
            )),
            "Invalid filters. Dimension `event:hostname` can only be filtered at the top level."
        );
    }

    #[test]
    fn features_relais_lacks_are_named() {
        assert_eq!(
            refused(with(
                "filters",
                json!([["has_done", ["is", "event:name", ["Signup"]]]])
            )),
            "#/filters/0: Behavioral filters (has_done, has_not_done) are not supported by Relais."
        );
        assert_eq!(
            refused(with("filters", json!([["is", "segment", [12]]]))),
            "#/filters/0: Segments are not supported by Relais."
        );
    }

    #[test]
    fn order_by_must_name_what_is_queried() {
        assert_eq!(
            refused(with("order_by", json!([["events", "desc"]]))),
            "Invalid order_by entry '{:events, :desc}'. Entry is not a queried metric or dimension."
        );
        assert_eq!(
            refused(with("order_by", json!([["event:name", "asc"]]))),
            "Invalid order_by entry '{\"event:name\", :asc}'. Entry is not a queried metric or dimension."
        );
        assert_eq!(
            refused(with("order_by", json!([["visssss", "desc"]]))),
            "#/order_by/0/0: Invalid value in order_by \"visssss\""
        );
        assert_eq!(
            refused(with("order_by", json!([["visitors", "up"]]))),
            "#/order_by/0/1: Value is not allowed in enum."
        );
        assert_eq!(
            refused(with("order_by", json!([["visitors"]]))),
            "#/order_by/0: Expected a minimum of 2 items but got 1."
        );
    }

    #[test]
    fn include_options() {
        let mut body = with(
            "include",
            json!({"time_labels": true, "comparisons": {"mode": "previous_period"}}),
        );
        body["dimensions"] = json!(["time:day"]);
        let query = parsed(body);
        assert!(query.include.time_labels && query.include.compare_previous_period);
        assert_eq!(
            refused(with("include", json!({"time_labels": true}))),
            "Invalid include.time_labels: requires a time dimension."
        );
        assert_eq!(
            refused(with("include", json!("foobar"))),
            "#/include: Type mismatch. Expected Object but got String."
        );
        assert_eq!(
            refused(with("include", json!({"labels": true}))),
            "#/include/labels: Schema does not allow additional properties."
        );
        assert!(
            refused(with(
                "include",
                json!({"comparisons": {"mode": "year_over_year"}})
            ))
            .contains("not supported by Relais")
        );
        assert_eq!(
            refused(with(
                "include",
                json!({"comparisons": {"mode": "last_week"}})
            )),
            "#/include/comparisons: Expected exactly one of the schemata to match, but none of them did."
        );
    }

    #[test]
    fn pagination_bounds() {
        assert_eq!(
            refused(with("pagination", json!({"limit": 100_000}))),
            "#/pagination/limit: Expected the value to be <= 10000"
        );
        assert_eq!(
            refused(with("pagination", json!({"limit": 0}))),
            "#/pagination/limit: Expected the value to be >= 1"
        );
        assert_eq!(
            refused(with("pagination", json!({"offset": -5}))),
            "#/pagination/offset: Expected the value to be >= 0"
        );
        assert_eq!(
            refused(with("pagination", json!({"limit": 10.5}))),
            "#/pagination/limit: Type mismatch. Expected Integer but got Number."
        );
        assert_eq!(
            parsed(with(
                "pagination",
                json!({"limit": 10_000, "offset": 4_000_000_000_u64})
            ))
            .pagination,
            Pagination {
                limit: 10_000,
                offset: 4_000_000_000
            }
        );
    }

    #[test]
    fn conversion_rates_need_a_goal() {
        assert_eq!(
            refused(with("metrics", json!(["conversion_rate"]))),
            "Metric `conversion_rate` can only be queried with event:goal filters or dimensions."
        );
        let mut by_page = with("metrics", json!(["visitors", "group_conversion_rate"]));
        by_page["dimensions"] = json!(["event:page"]);
        assert_eq!(
            refused(by_page),
            "Metric `group_conversion_rate` can only be queried with event:goal filters or dimensions."
        );
        let mut with_goal = with("metrics", json!(["visitors", "conversion_rate"]));
        with_goal["filters"] = json!([["is", "event:goal", ["Signup"]]]);
        assert_eq!(
            parsed(with_goal).metrics,
            vec![Metric::Visitors, Metric::ConversionRate]
        );
        let mut nested_prop = with("metrics", json!(["conversion_rate"]));
        nested_prop["dimensions"] = json!(["event:goal"]);
        nested_prop["filters"] = json!([["not", ["is", "event:props:plan", ["free"]]]]);
        assert_eq!(
            refused(nested_prop),
            "Invalid filters. When `conversion_rate` or `group_conversion_rate` metrics are used, custom property filters can only be used on top level."
        );
    }

    #[test]
    fn session_and_event_records_do_not_mix() {
        let mut body = with("metrics", json!(["visitors", "bounce_rate"]));
        body["dimensions"] = json!(["event:name"]);
        assert_eq!(
            refused(body.clone()),
            "Session metric(s) `bounce_rate` cannot be queried along with event dimension(s) `event:name`"
        );
        body["metrics"] = json!(["visit_duration", "bounce_rate"]);
        body["dimensions"] = json!(["event:props:url", "visit:device"]);
        assert_eq!(
            refused(body.clone()),
            "Session metric(s) `visit_duration`, `bounce_rate` cannot be queried along with event dimension(s) `event:props:url`"
        );
        body["metrics"] = json!(["events"]);
        body["dimensions"] = json!(["visit:exit_page"]);
        assert_eq!(
            refused(body.clone()),
            "Event metric(s) `events` cannot be queried along with session dimension(s) `visit:exit_page`"
        );
        body["metrics"] = json!(["bounce_rate", "scroll_depth"]);
        body["dimensions"] = json!(["event:page"]);
        parsed(body);
    }

    #[test]
    fn page_metrics_rules() {
        let mut body = with("metrics", json!(["scroll_depth"]));
        body["filters"] = json!([["not", ["is", "event:page", ["/"]]]]);
        assert_eq!(
            refused(body.clone()),
            "Metric `scroll_depth` can only be queried with event:page filters or dimensions."
        );
        body["filters"] = json!([["is", "event:page", ["/"]]]);
        parsed(body);

        let mut body = with("metrics", json!(["time_on_page"]));
        assert_eq!(
            refused(body.clone()),
            "Metric `time_on_page` can only be queried with event:page filters or dimensions."
        );
        body["filters"] = json!([["not", ["is", "event:page", ["/"]]]]);
        parsed(body);

        let mut body = with("metrics", json!(["views_per_visit"]));
        body["filters"] = json!([["contains", "event:page", ["/blog"]]]);
        assert_eq!(
            refused(body.clone()),
            "Metric `views_per_visit` cannot be queried with a filter on `event:page`."
        );
        body["filters"] = json!([]);
        body["dimensions"] = json!(["visit:source"]);
        assert_eq!(
            refused(body),
            "Metric `views_per_visit` cannot be queried with `dimensions`."
        );
    }

    #[test]
    fn top_level_shape_and_body_errors() {
        assert_eq!(
            refused(with("date", json!("2024-01-01"))),
            "#/date: Schema does not allow additional properties."
        );
        assert_eq!(
            refused(json!({"metrics": ["visitors"], "date_range": "all"})),
            "#: Required property site_id was not present."
        );
        assert_eq!(
            refused(json!({"site_id": "dummy.site"})),
            "#: Required properties metrics, date_range were not present."
        );
        assert_eq!(
            refused(with("site_id", json!(42))),
            "#/site_id: Type mismatch. Expected String but got Integer."
        );
        assert_eq!(
            refused(json!(["visitors"])),
            "#: Type mismatch. Expected Object but got Array."
        );
        assert_eq!(
            refused(json!(null)),
            "#: Type mismatch. Expected Object but got Null."
        );
        for garbage in [
            &b""[..],
            b"{",
            b"site_id=dummy.site",
            b"{\"site_id\": \"\xff\"}",
        ] {
            let Err(QueryError(message)) = parse_query(garbage) else {
                panic!("accepted garbage")
            };
            assert!(
                message.starts_with("The request body is not valid JSON"),
                "{message}"
            );
        }
    }

    #[test]
    fn filters_combine_only_when_there_are_several() {
        assert_eq!(parsed(with("filters", json!([]))).filter, None);
        let one = parsed(with("filters", json!([["is", "visit:device", ["Mobile"]]])));
        assert_eq!(
            one.filter,
            Some(condition(
                Operator::Is,
                visit(VisitDimension::Device),
                &["Mobile"]
            ))
        );
        let two = parsed(with(
            "filters",
            json!([
                ["is", "visit:device", ["Mobile"]],
                ["is", "event:hostname", ["shop.example.fr"]]
            ]),
        ));
        assert!(matches!(two.filter, Some(Filter::And(children)) if children.len() == 2));
    }

    #[test]
    fn non_ascii_names_and_clauses_survive() {
        let mut body = with("dimensions", json!(["event:props:catégorie"]));
        body["filters"] = json!([["is", "event:page", ["/café/ü", "/日本語/🚲"]]]);
        body["site_id"] = json!("bücher.example");
        let query = parsed(body);
        assert_eq!(query.site_id, "bücher.example");
        assert_eq!(
            query.dimensions,
            vec![Dimension::Event(EventDimension::Prop("catégorie".into()))]
        );
        assert_eq!(
            query.filter,
            Some(condition(Operator::Is, PAGE, &["/café/ü", "/日本語/🚲"]))
        );
        assert_eq!(
            refused(with("metrics", json!(["visiteurs \"uniques\"\n"]))),
            "#/metrics/0: Invalid metric \"visiteurs \\\"uniques\\\"\\n\""
        );
    }

    #[test]
    fn caps_on_size() {
        let many: Vec<Value> = (0..101)
            .map(|n| json!(["is", "event:name", [n.to_string()]]))
            .collect();
        assert!(
            refused(with("filters", json!(many)))
                .starts_with("#/filters: Relais accepts at most 100 filters")
        );
        let hundred: Vec<Value> = (0..100)
            .map(|n| json!(["is", "event:name", [n.to_string()]]))
            .collect();
        assert!(
            matches!(parsed(with("filters", json!(hundred))).filter, Some(Filter::And(all)) if all.len() == 100)
        );

        let mut deep = json!(["is", "event:name", ["x"]]);
        for _ in 0..10 {
            deep = json!(["not", deep]);
        }
        assert_eq!(
            refused(with("filters", json!([deep]))),
            "#/filters/0: Filters are nested more than 10 levels deep, the most Relais accepts."
        );

        let clauses: Vec<String> = (0..201).map(|n| format!("/page/{n}")).collect();
        assert_eq!(
            refused(with("filters", json!([["is", "event:page", clauses]]))),
            "#/filters/0: A filter has 201 clauses; Relais accepts at most 200."
        );
        let metrics: Vec<&str> = vec!["visitors"; 101];
        assert!(refused(with("metrics", json!(metrics))).contains("at most 100 metrics"));
    }

    #[test]
    fn huge_values_are_quoted_short() {
        let long = "x".repeat(100_000);
        let message = refused(with("metrics", json!([long])));
        assert!(message.len() < 1_100, "{}", message.len());
        assert!(message.ends_with("..."));
        let wide: Vec<u32> = (0..1_000).collect();
        assert_eq!(inspect(&json!(wide)).matches(", ").count(), 50);
    }

    #[test]
    fn never_panics_on_mangled_bodies() {
        let valid = json!({
            "site_id": "dummy.site",
            "metrics": ["visitors", "bounce_rate", "conversion_rate"],
            "date_range": ["2024-01-01T00:00:00+02:00", "2024-01-02T00:00:00+02:00"],
            "dimensions": ["event:goal", "time:week"],
            "filters": [["is", "event:goal", ["Signup"]], ["or", [["not", ["matches", "event:page", ["^/a"]]]]]],
            "order_by": [["visitors", "desc"]],
            "include": {"time_labels": true, "comparisons": {"mode": "previous_period"}},
            "pagination": {"limit": 5, "offset": 1}
        })
        .to_string()
        .into_bytes();
        // Every prefix, then deterministic byte flips.
        for end in 0..valid.len() {
            let _ = parse_query(&valid[..end]);
        }
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..3_000 {
            let mut mangled = valid.clone();
            for _ in 0..3 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let position = (seed % mangled.len() as u64) as usize;
                let alphabet = b"[]{}\",:0-9aZ \\";
                mangled[position] = alphabet[(seed >> 32) as usize % alphabet.len()];
            }
            let _ = parse_query(&mangled);
        }
        let nested = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_query(nested.as_bytes()).is_err());
    }
}
