//! Listening's sources: where mentions come from. Feeds and watched pages are fetched here,
//! through [`relais_outbound::HttpClient`] (so every fetch is guarded against SSRF, bounded in
//! time and size); what they hold becomes [`relais_listen::found::Found`] items for the
//! pipeline. The parsing and scheduling parts do no I/O and are fuzzed.
