//! The roster: who may have a photo taken at this site. Parses the roster CSV that staff
//! bring on a USB stick into entries plus a report of every bad row with its line number;
//! one bad row never stops the others. Storing and looking up entries is the store's job.
//!
//! The file is UTF-8 (with or without BOM) with the header
//! `admission_no,name,education_level,phone` (phone optional; the Chinese headers
//! 准考证号,姓名,学历层次,手机号 are accepted too).

use crate::identity::{AdmissionNumber, AdmissionNumberError, MobileNumber, MobileNumberError};
use std::collections::HashMap;
use std::fmt;

/// One candidate at one education level (专科 / 本科 …).
#[derive(Clone, PartialEq, Eq)]
pub struct RosterEntry {
    pub admission_no: AdmissionNumber,
    pub name: String,
    pub education_level: String,
    pub phone: Option<MobileNumber>,
}

impl fmt::Debug for RosterEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RosterEntry")
            .field("admission_no", &self.admission_no)
            .field("name", &crate::identity::mask_name(&self.name))
            .field("education_level", &self.education_level)
            .finish_non_exhaustive()
    }
}

impl RosterEntry {
    /// The entry as it travels from the central service to a kiosk.
    pub fn to_row(&self) -> capture_protocol::RosterRow {
        capture_protocol::RosterRow {
            admission_no: self.admission_no.as_str().to_owned(),
            name: self.name.clone(),
            education_level: self.education_level.clone(),
            phone: self.phone.as_ref().map(|p| p.as_str().to_owned()),
        }
    }

    /// An entry as the central service sent it, checked like a row of a CSV file.
    pub fn from_row(
        row: &capture_protocol::RosterRow,
        admission_no_len: usize,
    ) -> Result<RosterEntry, RowProblem> {
        let phone = row.phone.as_deref().unwrap_or("");
        let fields = [
            row.admission_no.as_str(),
            row.name.as_str(),
            row.education_level.as_str(),
            phone,
        ];
        parse_row(&fields, 0, 1, 2, Some(3), admission_no_len)
    }
}

/// What is wrong with one row. Messages name the field and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    #[error("has {found} fields, the header has {expected}")]
    FieldCount { found: usize, expected: usize },
    #[error("is not valid UTF-8 text (save the file as \"CSV UTF-8\")")]
    NotUtf8,
    #[error("admission_no: {0}")]
    AdmissionNumber(AdmissionNumberError),
    #[error("name is empty")]
    EmptyName,
    #[error("name {0}")]
    BadName(&'static str),
    #[error("education_level is empty")]
    EmptyEducationLevel,
    #[error("education_level is longer than {MAX_LEVEL_CHARS} characters")]
    LongEducationLevel,
    #[error("phone: {0}")]
    Phone(MobileNumberError),
    #[error("repeats the admission number and education level of line {first_line}")]
    Duplicate { first_line: u64 },
    #[error("gives the admission number of line {first_line} a different name")]
    ConflictingName { first_line: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    pub problem: RowProblem,
}

/// The outcome of reading a roster file: the good entries and every bad row.
#[derive(Debug, Default)]
pub struct RosterReport {
    pub entries: Vec<RosterEntry>,
    pub bad_rows: Vec<BadRow>,
}

impl RosterReport {
    pub fn rows_read(&self) -> usize {
        self.entries.len() + self.bad_rows.len()
    }
}

/// A problem with the file as a whole: nothing can be imported from it.
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("the roster file is empty; it needs the header line `{HEADER}`")]
    Empty,
    #[error(
        "the header line has no {missing:?} column; the first line must be `{HEADER}` \
         (found `{found}`)"
    )]
    MissingColumn {
        missing: &'static str,
        found: String,
    },
    #[error("the header line has an unknown column {0:?}; expected `{HEADER}`")]
    UnknownColumn(String),
    #[error(
        "the roster file is not UTF-8 text; in Excel choose \"Save as → CSV UTF-8\" and import \
         it again"
    )]
    NotUtf8,
    #[error("could not read the roster CSV: {0}")]
    Csv(#[from] csv::Error),
}

pub const HEADER: &str = "admission_no,name,education_level,phone";
const MAX_NAME_CHARS: usize = 64;
const MAX_LEVEL_CHARS: usize = 32;

#[derive(Clone, Copy)]
enum Column {
    AdmissionNo,
    Name,
    EducationLevel,
    Phone,
}

fn column_named(header: &str) -> Option<Column> {
    match header.trim().to_lowercase().as_str() {
        "admission_no" | "准考证号" => Some(Column::AdmissionNo),
        "name" | "姓名" => Some(Column::Name),
        "education_level" | "学历层次" | "层次" => Some(Column::EducationLevel),
        "phone" | "手机号" | "手机" | "手机号码" => Some(Column::Phone),
        _ => None,
    }
}

/// Reads a roster CSV. `admission_no_len` is the site's admission number length.
pub fn parse_roster(bytes: &[u8], admission_no_len: usize) -> Result<RosterReport, RosterError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(RosterError::Empty);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header = reader.byte_headers()?.clone();
    let header_text: Vec<String> = header
        .iter()
        .map(|h| std::str::from_utf8(h).map(str::to_owned))
        .collect::<Result<_, _>>()
        .map_err(|_| RosterError::NotUtf8)?;
    let mut columns = Vec::with_capacity(header_text.len());
    for h in &header_text {
        columns.push(column_named(h).ok_or_else(|| RosterError::UnknownColumn(h.clone()))?);
    }
    let position = |wanted: fn(&Column) -> bool| columns.iter().position(wanted);
    let found = header_text.join(",");
    let col_no = position(|c| matches!(c, Column::AdmissionNo)).ok_or_else(|| {
        RosterError::MissingColumn {
            missing: "admission_no",
            found: found.clone(),
        }
    })?;
    let col_name =
        position(|c| matches!(c, Column::Name)).ok_or_else(|| RosterError::MissingColumn {
            missing: "name",
            found: found.clone(),
        })?;
    let col_level = position(|c| matches!(c, Column::EducationLevel)).ok_or_else(|| {
        RosterError::MissingColumn {
            missing: "education_level",
            found: found.clone(),
        }
    })?;
    let col_phone = position(|c| matches!(c, Column::Phone));

    let mut report = RosterReport::default();
    // (admission number, level) -> line; admission number -> (name, line)
    let mut seen_level: HashMap<(String, String), u64> = HashMap::new();
    let mut seen_name: HashMap<String, (String, u64)> = HashMap::new();
    // csv's own line counter drifts over blank lines; byte offsets are exact.
    let newlines: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
        .collect();
    // A record's position includes the blank lines before it: skip them.
    let line_at = |offset: u64| {
        let start = bytes[offset as usize..]
            .iter()
            .position(|b| !matches!(b, b'\r' | b'\n'))
            .map_or(offset as usize, |k| offset as usize + k);
        newlines.partition_point(|&n| n < start) as u64 + 1
    };
    let mut record = csv::ByteRecord::new();
    let mut utf8_rows = 0usize;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(e.into()),
        }
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        let mut bad = |problem| report.bad_rows.push(BadRow { line, problem });
        if record.len() != columns.len() {
            bad(RowProblem::FieldCount {
                found: record.len(),
                expected: columns.len(),
            });
            continue;
        }
        let Ok(fields) = record
            .iter()
            .map(std::str::from_utf8)
            .collect::<Result<Vec<&str>, _>>()
        else {
            bad(RowProblem::NotUtf8);
            continue;
        };
        utf8_rows += 1;
        let entry = match parse_row(
            &fields,
            col_no,
            col_name,
            col_level,
            col_phone,
            admission_no_len,
        ) {
            Ok(entry) => entry,
            Err(problem) => {
                bad(problem);
                continue;
            }
        };
        let key = (
            entry.admission_no.as_str().to_owned(),
            entry.education_level.clone(),
        );
        if let Some(&first_line) = seen_level.get(&key) {
            bad(RowProblem::Duplicate { first_line });
            continue;
        }
        if let Some((name, first_line)) = seen_name.get(entry.admission_no.as_str())
            && *name != entry.name
        {
            bad(RowProblem::ConflictingName {
                first_line: *first_line,
            });
            continue;
        }
        seen_level.insert(key, line);
        seen_name
            .entry(entry.admission_no.as_str().to_owned())
            .or_insert((entry.name.clone(), line));
        report.entries.push(entry);
    }
    // A GBK file from Excel fails on every row: say so once instead of listing them all.
    if utf8_rows == 0
        && report
            .bad_rows
            .iter()
            .any(|r| r.problem == RowProblem::NotUtf8)
    {
        return Err(RosterError::NotUtf8);
    }
    Ok(report)
}

fn parse_row(
    fields: &[&str],
    col_no: usize,
    col_name: usize,
    col_level: usize,
    col_phone: Option<usize>,
    admission_no_len: usize,
) -> Result<RosterEntry, RowProblem> {
    let admission_no = AdmissionNumber::parse(fields[col_no], admission_no_len)
        .map_err(RowProblem::AdmissionNumber)?;
    let name = fields[col_name].trim();
    if name.is_empty() {
        return Err(RowProblem::EmptyName);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(RowProblem::BadName("is longer than 64 characters"));
    }
    if name.chars().any(|c| c.is_control() || c.is_ascii_digit()) {
        return Err(RowProblem::BadName("contains digits or control characters"));
    }
    let education_level = fields[col_level].trim();
    if education_level.is_empty() {
        return Err(RowProblem::EmptyEducationLevel);
    }
    if education_level.chars().count() > MAX_LEVEL_CHARS {
        return Err(RowProblem::LongEducationLevel);
    }
    let phone = match col_phone
        .map(|c| fields[c].trim())
        .filter(|p| !p.is_empty())
    {
        Some(p) => Some(MobileNumber::parse(p).map_err(RowProblem::Phone)?),
        None => None,
    };
    Ok(RosterEntry {
        admission_no,
        name: name.to_owned(),
        education_level: education_level.to_owned(),
        phone,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(report: &RosterReport) -> Vec<u64> {
        report.bad_rows.iter().map(|r| r.line).collect()
    }

    #[test]
    fn reads_a_good_roster_with_bom_and_optional_phone() {
        let csv = "\u{feff}admission_no,name,education_level,phone\n\
                   011123456789,王小明,本科,13812345678\n\
                   011123456790,李华,专科,\n";
        let report = parse_roster(csv.as_bytes(), 12).unwrap();
        assert!(report.bad_rows.is_empty(), "{:?}", report.bad_rows);
        assert_eq!(report.entries.len(), 2);
        assert_eq!(report.entries[0].name, "王小明");
        assert_eq!(
            report.entries[0].phone.as_ref().unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(report.entries[1].phone, None);
    }

    #[test]
    fn phone_column_may_be_absent_and_columns_reordered() {
        let csv = "name,education_level,admission_no\n王小明,本科,011123456789\n";
        let report = parse_roster(csv.as_bytes(), 12).unwrap();
        assert_eq!(report.entries.len(), 1);
        assert_eq!(report.entries[0].admission_no.as_str(), "011123456789");
    }

    #[test]
    fn chinese_headers_are_accepted() {
        let csv = "准考证号,姓名,学历层次,手机号\n011123456789,王小明,本科,\n";
        assert_eq!(parse_roster(csv.as_bytes(), 12).unwrap().entries.len(), 1);
    }

    #[test]
    fn normalises_full_width_digits_and_spaces() {
        let csv = "admission_no,name,education_level\n０１１１ ２３４５ ６７８９,王小明,本科\n";
        let report = parse_roster(csv.as_bytes(), 12).unwrap();
        assert_eq!(report.entries[0].admission_no.as_str(), "011123456789");
    }

    #[test]
    fn reports_each_malformed_row_with_its_line() {
        let csv = "admission_no,name,education_level,phone\n\
                   011123456789,王小明,本科,\n\
                   01112345678X,李华,本科,\n\
                   011123456791,,本科,\n\
                   011123456792,赵六\n\
                   011123456793,钱七,本科,12345\n\
                   011123456794,孙八,专科,\n";
        let report = parse_roster(csv.as_bytes(), 12).unwrap();
        assert_eq!(lines(&report), vec![3, 4, 5, 6]);
        assert_eq!(report.entries.len(), 2);
        assert!(matches!(
            report.bad_rows[0].problem,
            RowProblem::AdmissionNumber(AdmissionNumberError::NotADigit('X'))
        ));
        assert_eq!(report.bad_rows[1].problem, RowProblem::EmptyName);
        assert_eq!(
            report.bad_rows[2].problem,
            RowProblem::FieldCount {
                found: 2,
                expected: 4
            }
        );
        assert_eq!(
            report.bad_rows[3].problem,
            RowProblem::Phone(MobileNumberError::Invalid)
        );
    }

    #[test]
    fn duplicates_and_conflicting_names_name_the_first_line() {
        let csv = "admission_no,name,education_level\n\
                   011123456789,王小明,本科\n\
                   011123456789,王小明,专科\n\
                   011123456789,王小明,本科\n\
                   011123456789,王晓明,硕士\n";
        let report = parse_roster(csv.as_bytes(), 12).unwrap();
        assert_eq!(
            report.entries.len(),
            2,
            "one candidate at two levels is fine"
        );
        assert_eq!(
            report.bad_rows[0],
            BadRow {
                line: 4,
                problem: RowProblem::Duplicate { first_line: 2 }
            }
        );
        assert_eq!(
            report.bad_rows[1],
            BadRow {
                line: 5,
                problem: RowProblem::ConflictingName { first_line: 2 }
            }
        );
    }

    #[test]
    fn blank_lines_keep_line_numbers_right() {
        let csv =
            "admission_no,name,education_level\n\n011123456789,王小明,本科\n\nbad,李华,本科\n";
        let report = parse_roster(csv.as_bytes(), 12).unwrap();
        assert_eq!(lines(&report), vec![5]);
    }

    #[test]
    fn quoted_fields_with_commas_are_one_field() {
        let csv = "admission_no,name,education_level\n011123456789,\"王小明\",\"本科, 函授\"\n";
        let report = parse_roster(csv.as_bytes(), 12).unwrap();
        assert_eq!(report.entries[0].education_level, "本科, 函授");
    }

    #[test]
    fn a_wrong_header_is_a_clear_error() {
        let err = parse_roster("number,name,level\n1,2,3\n".as_bytes(), 12).unwrap_err();
        assert!(
            err.to_string().contains("unknown column \"number\""),
            "{err}"
        );
        let err = parse_roster("name,education_level\n王,本科\n".as_bytes(), 12).unwrap_err();
        assert!(err.to_string().contains("admission_no"), "{err}");
        assert!(matches!(parse_roster(b"", 12), Err(RosterError::Empty)));
    }

    #[test]
    fn a_gbk_file_is_refused_as_a_whole() {
        // "王小明" and "本科" in GBK
        let mut csv = b"admission_no,name,education_level\n011123456789,".to_vec();
        csv.extend_from_slice(&[
            0xCD, 0xF5, 0xD0, 0xA1, 0xC3, 0xF7, b',', 0xB1, 0xBE, 0xBF, 0xC6, b'\n',
        ]);
        assert!(matches!(parse_roster(&csv, 12), Err(RosterError::NotUtf8)));
    }
}
