//! Plausible's Stats API v2 query, as Relais understands it: the typed form that the parser
//! ([`parse`]) makes of a JSON body and that the engine answers.

pub mod parse;

use chrono::{DateTime, NaiveDate, Utc};

/// A question about one site's audience.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The site's domain, as registered.
    pub site_id: String,
    pub metrics: Vec<Metric>,
    pub date_range: DateRange,
    pub dimensions: Vec<Dimension>,
    /// `None` when the query has no filter.
    pub filter: Option<Filter>,
    pub order_by: Vec<(OrderKey, Direction)>,
    pub include: Include,
    pub pagination: Pagination,
}

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    Visitors,
    Visits,
    Pageviews,
    ViewsPerVisit,
    BounceRate,
    /// Mean visit duration, in seconds.
    VisitDuration,
    Events,
    /// Share of visitors who converted on the goal(s) filtered or grouped by, in percent.
    ConversionRate,
    /// Same, within each group of the other dimensions.
    GroupConversionRate,
    /// Mean of the deepest scroll per visitor and page, in percent.
    ScrollDepth,
    /// Share of the total visitors, in percent.
    Percentage,
    /// Mean engaged seconds on a page.
    TimeOnPage,
}

impl Metric {
    /// The metric's name in the API.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Visitors => "visitors",
            Metric::Visits => "visits",
            Metric::Pageviews => "pageviews",
            Metric::ViewsPerVisit => "views_per_visit",
            Metric::BounceRate => "bounce_rate",
            Metric::VisitDuration => "visit_duration",
            Metric::Events => "events",
            Metric::ConversionRate => "conversion_rate",
            Metric::GroupConversionRate => "group_conversion_rate",
            Metric::ScrollDepth => "scroll_depth",
            Metric::Percentage => "percentage",
            Metric::TimeOnPage => "time_on_page",
        }
    }
}

/// The period a query covers, before it is resolved against "now" in the site's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateRange {
    /// `"day"`: today.
    Today,
    /// `"7d"`, `"30d"`…: the N whole days before today.
    LastDays(u32),
    /// `"month"`: the current month.
    ThisMonth,
    /// `"6mo"`, `"12mo"`: the N whole months before the current one.
    LastMonths(u32),
    /// `"year"`: the current calendar year.
    ThisYear,
    /// `"all"`: since the site was added.
    All,
    /// Two ISO dates, both included.
    Dates(NaiveDate, NaiveDate),
    /// Two ISO 8601 instants.
    Instants(DateTime<Utc>, DateTime<Utc>),
}

/// What a row of the answer is grouped by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dimension {
    Event(EventDimension),
    Visit(VisitDimension),
    Time(TimeGrain),
}

/// A property of each event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventDimension {
    Name,
    Page,
    Hostname,
    Goal,
    /// `event:props:KEY`.
    Prop(String),
}

/// A property of the visit (session) an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VisitDimension {
    Source,
    Referrer,
    Channel,
    UtmMedium,
    UtmSource,
    UtmCampaign,
    UtmContent,
    UtmTerm,
    Country,
    Browser,
    BrowserVersion,
    Os,
    OsVersion,
    Device,
    EntryPage,
    ExitPage,
    EntryPageHostname,
    ExitPageHostname,
}

impl VisitDimension {
    /// Every visit dimension, in a fixed order that the engine's columns follow.
    pub const ALL: [VisitDimension; 18] = [
        VisitDimension::Source,
        VisitDimension::Referrer,
        VisitDimension::Channel,
        VisitDimension::UtmMedium,
        VisitDimension::UtmSource,
        VisitDimension::UtmCampaign,
        VisitDimension::UtmContent,
        VisitDimension::UtmTerm,
        VisitDimension::Country,
        VisitDimension::Browser,
        VisitDimension::BrowserVersion,
        VisitDimension::Os,
        VisitDimension::OsVersion,
        VisitDimension::Device,
        VisitDimension::EntryPage,
        VisitDimension::ExitPage,
        VisitDimension::EntryPageHostname,
        VisitDimension::ExitPageHostname,
    ];

    /// The dimension's place in [`VisitDimension::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The dimension's name in the API, without the `visit:` prefix.
    pub fn name(self) -> &'static str {
        match self {
            VisitDimension::Source => "source",
            VisitDimension::Referrer => "referrer",
            VisitDimension::Channel => "channel",
            VisitDimension::UtmMedium => "utm_medium",
            VisitDimension::UtmSource => "utm_source",
            VisitDimension::UtmCampaign => "utm_campaign",
            VisitDimension::UtmContent => "utm_content",
            VisitDimension::UtmTerm => "utm_term",
            VisitDimension::Country => "country",
            VisitDimension::Browser => "browser",
            VisitDimension::BrowserVersion => "browser_version",
            VisitDimension::Os => "os",
            VisitDimension::OsVersion => "os_version",
            VisitDimension::Device => "device",
            VisitDimension::EntryPage => "entry_page",
            VisitDimension::ExitPage => "exit_page",
            VisitDimension::EntryPageHostname => "entry_page_hostname",
            VisitDimension::ExitPageHostname => "exit_page_hostname",
        }
    }
}

/// `time` (the engine picks a grain from the range's length), `time:hour`, `time:day`…
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeGrain {
    Auto,
    Hour,
    Day,
    Week,
    Month,
}

/// A condition on the rows counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Condition(Condition),
}

/// `[operator, dimension, clauses, modifiers]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub operator: Operator,
    /// Never a time dimension.
    pub dimension: Dimension,
    pub clauses: Vec<String>,
    /// `{"case_sensitive": false}` turns it off; on by default.
    pub case_sensitive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Is,
    IsNot,
    Contains,
    ContainsNot,
    /// A regular expression (Plausible uses RE2 syntax).
    Matches,
    MatchesNot,
}

/// What the answer is sorted by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderKey {
    Metric(Metric),
    Dimension(Dimension),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

/// Extra parts of the answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Include {
    /// `time_labels`: every time bucket of the range, even empty ones, listed in the meta.
    pub time_labels: bool,
    /// `total_rows`: how many rows there are before pagination, in the meta.
    pub total_rows: bool,
    /// `comparisons: {"mode": "previous_period"}`: each row also carries the previous period's
    /// metrics and the change.
    pub compare_previous_period: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination {
    pub limit: usize,
    pub offset: usize,
}

impl Default for Pagination {
    fn default() -> Self {
        Pagination {
            limit: 10_000,
            offset: 0,
        }
    }
}
