//! A segment on disk: three Arrow IPC files in one directory, LZ4-compressed.
//!
//! - `events.arrow`: one row per event (time, visit row, name, page, host, scroll depth, engaged
//!   time, number of properties), texts as Arrow dictionaries;
//! - `props.arrow`: the events' properties, in event order (`key`, `value`);
//! - `sessions.arrow`: one row per visit (visitor number, start, end, page views, events, bounce,
//!   and one dictionary column per visit dimension).
//!
//! Dictionary codes are the segment's own, so reading a segment back gives the very columns the
//! engine queries. The files are written beside, synced, then renamed into place: a crash leaves
//! either the old segment or the new one.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, UInt8Type, UInt32Type};
use arrow_array::{
    Array, ArrayRef, BooleanArray, DictionaryArray, Int64Array, RecordBatch, StringArray,
    UInt8Array, UInt32Array,
};
use arrow_ipc::CompressionType;
use arrow_ipc::reader::FileReader;
use arrow_ipc::writer::{FileWriter, IpcWriteOptions};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use relais_audience::engine::dict::Dict;
use relais_audience::engine::segment::{Dicts, EventColumns, Segment, SessionColumns};
use relais_audience::query::VisitDimension;

/// Why a segment cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum SegmentIoError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a Relais segment ({reason})")]
    Format { path: PathBuf, reason: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SegmentIoError + '_ {
    move |source| SegmentIoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn format(path: &Path, reason: impl ToString) -> SegmentIoError {
    SegmentIoError::Format {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

const EVENTS: &str = "events.arrow";
const PROPS: &str = "props.arrow";
const SESSIONS: &str = "sessions.arrow";

/// Writes a segment into directory `dir` (made if missing), replacing what was there.
pub fn write_segment(dir: &Path, seg: &Segment) -> Result<(), SegmentIoError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let batches = [
        (EVENTS, events_batch(seg)),
        (PROPS, props_batch(seg)),
        (SESSIONS, sessions_batch(seg)),
    ];
    let mut written = Vec::new();
    for (name, batch) in batches {
        let path = dir.join(name);
        let batch = batch.map_err(|e| format(&path, e))?;
        let staging = dir.join(format!("{name}.new"));
        write_file(&staging, &batch)?;
        written.push((staging, path));
    }
    for (staging, path) in written {
        std::fs::rename(&staging, &path).map_err(io(&path))?;
    }
    sync_dir(dir)
}

/// Reads the segment in directory `dir`.
pub fn read_segment(dir: &Path) -> Result<Segment, SegmentIoError> {
    let events = read_file(&dir.join(EVENTS))?;
    let props = read_file(&dir.join(PROPS))?;
    let sessions = read_file(&dir.join(SESSIONS))?;
    let path = dir.join(EVENTS);
    let bad = |reason: &str| format(&path, reason);

    let mut dicts = Dicts::default();
    let (name, name_dict) = dict_column(&events, "name").ok_or_else(|| bad("name"))?;
    let (page, page_dict) = dict_column(&events, "page").ok_or_else(|| bad("page"))?;
    let (hostname, host_dict) = dict_column(&events, "hostname").ok_or_else(|| bad("hostname"))?;
    dicts.name = name_dict;
    dicts.page = page_dict;
    dicts.hostname = host_dict;
    let counts: Vec<u8> = primitive::<UInt8Type>(&events, "props").ok_or_else(|| bad("props"))?;
    let mut prop_start = Vec::with_capacity(counts.len() + 1);
    let mut at = 0u32;
    prop_start.push(0);
    for c in &counts {
        at += u32::from(*c);
        prop_start.push(at);
    }
    let (prop_key, key_dict) = dict_column(&props, "key").ok_or_else(|| bad("key"))?;
    let (prop_value, value_dict) = dict_column(&props, "value").ok_or_else(|| bad("value"))?;
    if prop_key.len() != at as usize {
        return Err(bad("property counts do not add up"));
    }
    dicts.prop_key = key_dict;
    dicts.prop_value = value_dict;

    let event_columns = EventColumns {
        at_ms: primitive::<Int64Type>(&events, "at_ms").ok_or_else(|| bad("at_ms"))?,
        session: primitive::<UInt32Type>(&events, "session").ok_or_else(|| bad("session"))?,
        name,
        page,
        hostname,
        scroll_depth: primitive::<UInt8Type>(&events, "scroll_depth")
            .ok_or_else(|| bad("scroll_depth"))?,
        engaged_ms: primitive::<UInt32Type>(&events, "engaged_ms")
            .ok_or_else(|| bad("engaged_ms"))?,
        prop_start,
        prop_key,
        prop_value,
    };

    let mut dims = Vec::with_capacity(VisitDimension::ALL.len());
    for dimension in VisitDimension::ALL {
        let (codes, dict) =
            dict_column(&sessions, dimension.name()).ok_or_else(|| bad(dimension.name()))?;
        dims.push(codes);
        dicts.visit[dimension.index()] = dict;
    }
    let bounce = sessions
        .column_by_name("bounce")
        .and_then(|c| c.as_boolean_opt())
        .map(|b| b.values().iter().collect())
        .ok_or_else(|| bad("bounce"))?;
    let visitor: Vec<u32> =
        primitive::<UInt32Type>(&sessions, "visitor").ok_or_else(|| bad("visitor"))?;
    let session_columns = SessionColumns {
        start_ms: primitive::<Int64Type>(&sessions, "start_ms").ok_or_else(|| bad("start_ms"))?,
        end_ms: primitive::<Int64Type>(&sessions, "end_ms").ok_or_else(|| bad("end_ms"))?,
        pageviews: primitive::<UInt32Type>(&sessions, "pageviews")
            .ok_or_else(|| bad("pageviews"))?,
        events: primitive::<UInt32Type>(&sessions, "events").ok_or_else(|| bad("events"))?,
        bounce,
        dims,
        visitor,
    };
    let seg = Segment {
        visitors: session_columns.visitor.iter().max().map_or(0, |m| m + 1),
        events: event_columns,
        sessions: session_columns,
        dicts,
        rollups: Default::default(),
        summary_span: None,
    };
    check(&seg).map_err(|reason| format(&path, reason))?;
    Ok(seg)
}

/// Refuses a segment whose columns do not fit together, so that a damaged file is reported
/// instead of making the engine index out of bounds.
fn check(seg: &Segment) -> Result<(), String> {
    let n = seg.events.at_ms.len();
    let e = &seg.events;
    let same = [
        e.session.len(),
        e.name.len(),
        e.page.len(),
        e.hostname.len(),
        e.scroll_depth.len(),
        e.engaged_ms.len(),
    ];
    if same.iter().any(|&l| l != n) || e.prop_start.len() != n + 1 {
        return Err("event columns of different lengths".into());
    }
    let s = &seg.sessions;
    let visits = s.visitor.len();
    let lens = [
        s.start_ms.len(),
        s.end_ms.len(),
        s.pageviews.len(),
        s.events.len(),
        s.bounce.len(),
    ];
    if lens.iter().any(|&l| l != visits) || s.dims.iter().any(|d| d.len() != visits) {
        return Err("visit columns of different lengths".into());
    }
    if e.session.iter().any(|&r| r as usize >= visits) {
        return Err("an event points at a visit that is not there".into());
    }
    if e.at_ms.windows(2).any(|w| w[0] > w[1]) {
        return Err("events out of time order".into());
    }
    Ok(())
}

fn write_file(path: &Path, batch: &RecordBatch) -> Result<(), SegmentIoError> {
    let file = File::create(path).map_err(io(path))?;
    let options = IpcWriteOptions::default()
        .try_with_compression(Some(CompressionType::LZ4_FRAME))
        .map_err(|e| format(path, e))?;
    let mut writer =
        FileWriter::try_new_with_options(BufWriter::new(file), &batch.schema(), options)
            .map_err(|e| format(path, e))?;
    writer.write(batch).map_err(|e| format(path, e))?;
    writer.finish().map_err(|e| format(path, e))?;
    let file = writer
        .into_inner()
        .map_err(|e| format(path, e))?
        .into_inner()
        .map_err(|e| io(path)(e.into_error()))?;
    file.sync_all().map_err(io(path))
}

fn read_file(path: &Path) -> Result<RecordBatch, SegmentIoError> {
    let file = File::open(path).map_err(io(path))?;
    let reader =
        FileReader::try_new(std::io::BufReader::new(file), None).map_err(|e| format(path, e))?;
    let schema = reader.schema();
    let mut batches: Vec<RecordBatch> = reader
        .collect::<Result<_, ArrowError>>()
        .map_err(|e| format(path, e))?;
    // Relais writes a segment's table as one batch.
    match batches.len() {
        0 => Ok(RecordBatch::new_empty(schema)),
        1 => Ok(batches.remove(0)),
        _ => Err(format(path, "more than one record batch")),
    }
}

fn sync_dir(dir: &Path) -> Result<(), SegmentIoError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

fn dictionary_field(name: &str) -> Field {
    Field::new(
        name,
        DataType::Dictionary(Box::new(DataType::UInt32), Box::new(DataType::Utf8)),
        false,
    )
}

fn dictionary(codes: &[u32], dict: &Dict) -> Result<ArrayRef, ArrowError> {
    let keys = UInt32Array::from(codes.to_vec());
    let values = StringArray::from_iter_values(dict.values().iter());
    Ok(Arc::new(DictionaryArray::<UInt32Type>::try_new(
        keys,
        Arc::new(values),
    )?))
}

fn events_batch(seg: &Segment) -> Result<RecordBatch, ArrowError> {
    let e = &seg.events;
    let d = &seg.dicts;
    let counts: Vec<u8> = e
        .prop_start
        .windows(2)
        .map(|w| u8::try_from(w[1] - w[0]).unwrap_or(u8::MAX))
        .collect();
    let schema = Schema::new(vec![
        Field::new("at_ms", DataType::Int64, false),
        Field::new("session", DataType::UInt32, false),
        dictionary_field("name"),
        dictionary_field("page"),
        dictionary_field("hostname"),
        Field::new("scroll_depth", DataType::UInt8, false),
        Field::new("engaged_ms", DataType::UInt32, false),
        Field::new("props", DataType::UInt8, false),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(Int64Array::from(e.at_ms.clone())),
            Arc::new(UInt32Array::from(e.session.clone())),
            dictionary(&e.name, &d.name)?,
            dictionary(&e.page, &d.page)?,
            dictionary(&e.hostname, &d.hostname)?,
            Arc::new(UInt8Array::from(e.scroll_depth.clone())),
            Arc::new(UInt32Array::from(e.engaged_ms.clone())),
            Arc::new(UInt8Array::from(counts)),
        ],
    )
}

fn props_batch(seg: &Segment) -> Result<RecordBatch, ArrowError> {
    let e = &seg.events;
    let schema = Schema::new(vec![dictionary_field("key"), dictionary_field("value")]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            dictionary(&e.prop_key, &seg.dicts.prop_key)?,
            dictionary(&e.prop_value, &seg.dicts.prop_value)?,
        ],
    )
}

fn sessions_batch(seg: &Segment) -> Result<RecordBatch, ArrowError> {
    let s = &seg.sessions;
    let mut fields = vec![
        Field::new("visitor", DataType::UInt32, false),
        Field::new("start_ms", DataType::Int64, false),
        Field::new("end_ms", DataType::Int64, false),
        Field::new("pageviews", DataType::UInt32, false),
        Field::new("events", DataType::UInt32, false),
        Field::new("bounce", DataType::Boolean, false),
    ];
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from(s.visitor.clone())),
        Arc::new(Int64Array::from(s.start_ms.clone())),
        Arc::new(Int64Array::from(s.end_ms.clone())),
        Arc::new(UInt32Array::from(s.pageviews.clone())),
        Arc::new(UInt32Array::from(s.events.clone())),
        Arc::new(BooleanArray::from(s.bounce.clone())),
    ];
    for dimension in VisitDimension::ALL {
        fields.push(dictionary_field(dimension.name()));
        columns.push(dictionary(
            &s.dims[dimension.index()],
            seg.dicts.of_visit(dimension),
        )?);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

/// A dictionary column's codes and values.
fn dict_column(batch: &RecordBatch, name: &str) -> Option<(Vec<u32>, Dict)> {
    let column = batch.column_by_name(name)?;
    let dict = column.as_dictionary_opt::<UInt32Type>()?;
    let values = dict.values().as_string_opt::<i32>()?;
    let values: Vec<String> = (0..values.len())
        .map(|i| values.value(i).to_string())
        .collect();
    let count = values.len() as u32;
    let codes = dict.keys().values().to_vec();
    if codes.iter().any(|&c| c >= count) || dict.keys().null_count() > 0 {
        return None;
    }
    Some((codes, Dict::from_values(values)))
}

fn primitive<T: arrow_array::ArrowPrimitiveType>(
    batch: &RecordBatch,
    name: &str,
) -> Option<Vec<T::Native>> {
    let column = batch.column_by_name(name)?;
    let array = column.as_primitive_opt::<T>()?;
    (array.null_count() == 0).then(|| array.values().to_vec())
}
