//! A segment: one site's events of one UTC day in columns, with the day's visits beside them.
//!
//! Every text is dictionary-encoded, so a row of the event table is a handful of integers and a
//! query compares integers, not strings. Visits (sessions) are their own table: the attributes of
//! a visit (source, campaign, country, browser, entry and exit page…) are stored once per visit,
//! not once per event, and each event points at its visit.

use std::collections::HashMap;

use super::dict::{Dict, NONE};
use crate::event::Event;
use crate::hit::{ENGAGEMENT, PAGEVIEW};
use crate::query::VisitDimension;

/// `scroll_depth` of an event that did not report one.
pub const NO_SCROLL: u8 = u8::MAX;

/// The events of a segment, in time order.
#[derive(Debug, Clone, Default)]
pub struct EventColumns {
    pub at_ms: Vec<i64>,
    /// Row of the event's visit in [`SessionColumns`].
    pub session: Vec<u32>,
    pub name: Vec<u32>,
    pub page: Vec<u32>,
    pub hostname: Vec<u32>,
    /// Percent, or [`NO_SCROLL`].
    pub scroll_depth: Vec<u8>,
    pub engaged_ms: Vec<u32>,
    /// The properties of event `i` are `prop_key[prop_start[i]..prop_start[i + 1]]` (and the same
    /// range of `prop_value`).
    pub prop_start: Vec<u32>,
    pub prop_key: Vec<u32>,
    pub prop_value: Vec<u32>,
}

/// The visits of a segment.
#[derive(Debug, Clone, Default)]
pub struct SessionColumns {
    /// The visitor, numbered densely within the segment (visitor hashes change every UTC day, so
    /// a segment's visitors are all its own).
    pub visitor: Vec<u32>,
    pub start_ms: Vec<i64>,
    pub end_ms: Vec<i64>,
    pub pageviews: Vec<u32>,
    /// Events other than engagement reports.
    pub events: Vec<u32>,
    /// One page view and no interactive custom event.
    pub bounce: Vec<bool>,
    /// One column per [`VisitDimension`], in [`VisitDimension::ALL`] order.
    pub dims: Vec<Vec<u32>>,
}

/// The dictionaries of a segment's columns.
#[derive(Debug, Clone)]
pub struct Dicts {
    pub name: Dict,
    /// Pages, also used by the entry and exit page of visits.
    pub page: Dict,
    /// Host names, also used by the entry and exit host of visits.
    pub hostname: Dict,
    pub prop_key: Dict,
    pub prop_value: Dict,
    /// One per [`VisitDimension`]; the page and host ones are unused (see `page`, `hostname`).
    pub visit: Vec<Dict>,
}

impl Default for Dicts {
    fn default() -> Self {
        Dicts {
            name: Dict::default(),
            page: Dict::default(),
            hostname: Dict::default(),
            prop_key: Dict::default(),
            prop_value: Dict::default(),
            visit: vec![Dict::default(); VisitDimension::ALL.len()],
        }
    }
}

impl Dicts {
    /// The dictionary a visit dimension's codes refer to.
    pub fn of_visit(&self, dimension: VisitDimension) -> &Dict {
        match dimension {
            VisitDimension::EntryPage | VisitDimension::ExitPage => &self.page,
            VisitDimension::EntryPageHostname | VisitDimension::ExitPageHostname => &self.hostname,
            other => &self.visit[other.index()],
        }
    }
}

/// One site's events of one UTC day, in columns.
#[derive(Debug, Clone, Default)]
pub struct Segment {
    pub events: EventColumns,
    pub sessions: SessionColumns,
    pub dicts: Dicts,
    pub visitors: u32,
    /// Whole-segment answers kept once computed (see `aggregate::RollupCache`).
    pub rollups: super::aggregate::RollupCache,
    /// `Some(first and last event time)` when this is a summary read back (see `summary.rs`):
    /// the dictionaries and rollups are here, the columns are not.
    pub summary_span: Option<(i64, i64)>,
}

impl Segment {
    /// Builds the columns of a set of events of one site (in any order).
    pub fn build(events: &[Event]) -> Segment {
        let mut order: Vec<usize> = (0..events.len()).collect();
        order.sort_by_key(|&i| (events[i].at_ms, i));
        let mut builder = Builder::default();
        for &i in &order {
            builder.push(&events[i]);
        }
        builder.finish()
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.at_ms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.at_ms.is_empty()
    }

    /// Earliest and latest event time, if any.
    pub fn span(&self) -> Option<(i64, i64)> {
        if let Some(span) = self.summary_span {
            return Some(span);
        }
        Some((*self.events.at_ms.first()?, *self.events.at_ms.last()?))
    }

    /// Whether only the summary is here (see [`Segment::summary_span`]).
    pub fn is_summary(&self) -> bool {
        self.summary_span.is_some()
    }

    /// The events back out of the columns, for export and for merging late events into a day
    /// already sealed. Visitors and visits come back as numbers unique within the segment
    /// (their original hashes are not kept); what no column keeps (revenue, whether a custom
    /// event was interactive) comes back empty.
    pub fn events(&self, site: &str) -> Vec<Event> {
        let (e, s, d) = (&self.events, &self.sessions, &self.dicts);
        let text = |dict: &Dict, code: u32| dict.value(code).map(str::to_string);
        (0..self.len())
            .map(|i| {
                let row = e.session[i] as usize;
                let visit = |dimension: VisitDimension| {
                    text(&d.visit[dimension.index()], s.dims[dimension.index()][row])
                };
                let props = (e.prop_start[i] as usize..e.prop_start[i + 1] as usize)
                    .filter_map(|p| {
                        Some((
                            text(&d.prop_key, e.prop_key[p])?,
                            text(&d.prop_value, e.prop_value[p])?,
                        ))
                    })
                    .collect();
                Event {
                    site: site.to_string(),
                    at_ms: e.at_ms[i],
                    // Marked so that they never meet the hashes of events still to come.
                    visitor: (1 << 63) | u64::from(s.visitor[row]),
                    session: (1 << 63) | row as u64,
                    name: text(&d.name, e.name[i]).unwrap_or_default(),
                    hostname: text(&d.hostname, e.hostname[i]).unwrap_or_default(),
                    pathname: text(&d.page, e.page[i]).unwrap_or_default(),
                    referrer: visit(VisitDimension::Referrer),
                    source: visit(VisitDimension::Source),
                    channel: visit(VisitDimension::Channel).unwrap_or_default(),
                    utm_source: visit(VisitDimension::UtmSource),
                    utm_medium: visit(VisitDimension::UtmMedium),
                    utm_campaign: visit(VisitDimension::UtmCampaign),
                    utm_content: visit(VisitDimension::UtmContent),
                    utm_term: visit(VisitDimension::UtmTerm),
                    country: visit(VisitDimension::Country),
                    browser: visit(VisitDimension::Browser),
                    browser_version: visit(VisitDimension::BrowserVersion),
                    os: visit(VisitDimension::Os),
                    os_version: visit(VisitDimension::OsVersion),
                    device: visit(VisitDimension::Device),
                    props,
                    revenue: None,
                    interactive: true,
                    scroll_depth: (e.scroll_depth[i] != NO_SCROLL).then_some(e.scroll_depth[i]),
                    engaged_ms: (e.engaged_ms[i] > 0).then_some(e.engaged_ms[i]),
                }
            })
            .collect()
    }

    fn open_session(&mut self, visitor: u32, first: &Event) {
        let s = &mut self.sessions;
        s.visitor.push(visitor);
        s.start_ms.push(first.at_ms);
        s.end_ms.push(first.at_ms);
        s.pageviews.push(0);
        s.events.push(0);
        s.bounce.push(true);
        for dimension in VisitDimension::ALL {
            let value = visit_attribute(first, dimension);
            let code = match dimension {
                // Filled in as the visit's page views arrive.
                VisitDimension::EntryPage
                | VisitDimension::ExitPage
                | VisitDimension::EntryPageHostname
                | VisitDimension::ExitPageHostname => NONE,
                _ => self.dicts.visit[dimension.index()].code(value),
            };
            s.dims[dimension.index()].push(code);
        }
    }

    fn push_event(&mut self, row: u32, event: &Event, open: &mut SessionBuilder) {
        let page = self.dicts.page.code(Some(&event.pathname));
        let hostname = self.dicts.hostname.code(Some(&event.hostname));
        let e = &mut self.events;
        e.at_ms.push(event.at_ms);
        e.session.push(row);
        e.name.push(self.dicts.name.code(Some(&event.name)));
        e.page.push(page);
        e.hostname.push(hostname);
        e.scroll_depth.push(event.scroll_depth.unwrap_or(NO_SCROLL));
        e.engaged_ms.push(event.engaged_ms.unwrap_or(0));
        if e.prop_start.is_empty() {
            e.prop_start.push(0);
        }
        for (key, value) in &event.props {
            e.prop_key.push(self.dicts.prop_key.code(Some(key)));
            e.prop_value.push(self.dicts.prop_value.code(Some(value)));
        }
        e.prop_start.push(e.prop_key.len() as u32);

        if event.name == ENGAGEMENT {
            // Engagement reports say how a page was read; they neither make nor lengthen a visit.
            return;
        }
        let r = row as usize;
        let s = &mut self.sessions;
        s.end_ms[r] = s.end_ms[r].max(event.at_ms);
        s.events[r] += 1;
        if event.name == PAGEVIEW {
            s.pageviews[r] += 1;
            let first = open.first_page[r].get_or_insert((page, hostname));
            s.dims[VisitDimension::EntryPage.index()][r] = first.0;
            s.dims[VisitDimension::EntryPageHostname.index()][r] = first.1;
            s.dims[VisitDimension::ExitPage.index()][r] = page;
            s.dims[VisitDimension::ExitPageHostname.index()][r] = hostname;
        } else if event.interactive {
            open.interacted[r] = true;
        }
        s.bounce[r] = s.pageviews[r] <= 1 && !open.interacted[r];
    }
}

/// Builds a segment one event at a time, for a day still going on: the segment is ready for
/// queries after every push.
#[derive(Debug, Default)]
pub struct Builder {
    seg: Segment,
    session_rows: HashMap<u64, u32>,
    visitor_numbers: HashMap<u64, u32>,
    open: SessionBuilder,
}

impl Builder {
    /// Adds an event. Events are expected in time order; one earlier than the last is counted
    /// at the last one's time (the engine's time search needs order), a difference of the
    /// milliseconds between two requests.
    pub fn push(&mut self, event: &Event) {
        let seg = &mut self.seg;
        if seg.sessions.dims.is_empty() {
            seg.sessions.dims = vec![Vec::new(); VisitDimension::ALL.len()];
        }
        let last = seg.events.at_ms.last().copied().unwrap_or(i64::MIN);
        let ordered;
        let event = if event.at_ms < last {
            ordered = Event {
                at_ms: last,
                ..event.clone()
            };
            &ordered
        } else {
            event
        };
        let next_row = seg.sessions.visitor.len() as u32;
        let row = *self.session_rows.entry(event.session).or_insert(next_row);
        if row == next_row {
            let visitors = self.visitor_numbers.len() as u32;
            let visitor = *self
                .visitor_numbers
                .entry(event.visitor)
                .or_insert(visitors);
            seg.open_session(visitor, event);
            self.open.push();
            seg.visitors = self.visitor_numbers.len() as u32;
        }
        seg.push_event(row, event, &mut self.open);
    }

    /// The visits so far: `(visitor hash, visit id, time of its last event)`, so that a
    /// restarted process goes on counting the visits under way.
    pub fn visits(&self) -> Vec<(u64, u64, i64)> {
        let mut hashes = vec![0u64; self.visitor_numbers.len()];
        for (&hash, &n) in &self.visitor_numbers {
            hashes[n as usize] = hash;
        }
        let s = &self.seg.sessions;
        self.session_rows
            .iter()
            .map(|(&id, &row)| {
                let r = row as usize;
                (hashes[s.visitor[r] as usize], id, s.end_ms[r])
            })
            .collect()
    }

    /// The segment so far.
    pub fn segment(&self) -> &Segment {
        &self.seg
    }

    pub fn finish(self) -> Segment {
        self.seg
    }
}

/// What is known of each visit only while it is being built.
#[derive(Debug, Default)]
struct SessionBuilder {
    first_page: Vec<Option<(u32, u32)>>,
    interacted: Vec<bool>,
}

impl SessionBuilder {
    fn push(&mut self) {
        self.first_page.push(None);
        self.interacted.push(false);
    }
}

/// A visit's attribute, taken from its first event (as Plausible does).
fn visit_attribute(event: &Event, dimension: VisitDimension) -> Option<&str> {
    match dimension {
        VisitDimension::Source => event.source.as_deref(),
        VisitDimension::Referrer => event.referrer.as_deref(),
        VisitDimension::Channel => Some(event.channel.as_str()),
        VisitDimension::UtmMedium => event.utm_medium.as_deref(),
        VisitDimension::UtmSource => event.utm_source.as_deref(),
        VisitDimension::UtmCampaign => event.utm_campaign.as_deref(),
        VisitDimension::UtmContent => event.utm_content.as_deref(),
        VisitDimension::UtmTerm => event.utm_term.as_deref(),
        VisitDimension::Country => event.country.as_deref(),
        VisitDimension::Browser => event.browser.as_deref(),
        VisitDimension::BrowserVersion => event.browser_version.as_deref(),
        VisitDimension::Os => event.os.as_deref(),
        VisitDimension::OsVersion => event.os_version.as_deref(),
        VisitDimension::Device => event.device.as_deref(),
        VisitDimension::EntryPage
        | VisitDimension::ExitPage
        | VisitDimension::EntryPageHostname
        | VisitDimension::ExitPageHostname => None,
    }
}
