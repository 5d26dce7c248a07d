//! Appending: one fsynced line per event under an exclusive lock, a new
//! log started with an anchor, and the head recorded outside the file.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

use chrono::{SecondsFormat, Utc};

use super::entry::{AuditAnchor, AuditEntry, AuditLine, AuditRecord, parse_line};
use super::error::{AuditError, io_err};
use super::head::{self, HeadRecord};
use super::identity::{current_host, current_user, run_id};
use super::lines::count_lines;
use super::log::AuditLog;
use super::redact::{redact_parameters, safe};
use crate::ops::private_file;

/// How much of the file `append` reads per step while looking for the last
/// line from the end.
const TAIL_CHUNK: usize = 8 * 1024;

impl AuditLog {
    /// Appends one line (after an anchor line if the log is new) and
    /// returns it as written. Every string is cleaned and redacted first.
    /// Blocks on the file lock and on fsync. Creates missing parent
    /// directories (mode 0700) and the file (mode 0600); refuses a symlink
    /// or anything but a regular file at the path. Then records the new
    /// head outside the file (a failure there is logged, not returned: the
    /// line is already written).
    pub fn append(&self, record: &AuditRecord) -> Result<AuditEntry, AuditError> {
        let path = self.path.as_path();
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir {
            private_file::create_private_dir(dir).map_err(io_err(dir))?;
        }
        let (mut file, created) = private_file::open_append(path).map_err(io_err(path))?;
        // Advisory locks (`File::lock*`, Rust 1.89) serialise writers across
        // processes: the board and `opsboard do` may append at the same time.
        file.lock().map_err(io_err(path))?;
        let written = append_locked(&mut file, record).map_err(io_err(path));
        // Make the new directory entry durable too.
        let synced_dir = match (&written, created, dir) {
            (Ok(_), true, Some(dir)) => private_file::sync_dir(dir).map_err(io_err(dir)),
            _ => Ok(()),
        };
        if let Ok(w) = &written
            && let Err(e) = self.record_head(&mut file, w)
        {
            tracing::warn!(
                "audit log {}: cannot record its head: {e}",
                self.path.display()
            );
        }
        // Closing the file releases the lock anyway; an unlock error is moot.
        let _ = file.unlock();
        let written = written?;
        synced_dir?;
        Ok(written.entry)
    }

    /// Called with the exclusive lock held, after the write.
    fn record_head(&self, file: &mut File, w: &Written) -> io::Result<()> {
        let Some(dir) = self.heads.resolve() else {
            return Ok(());
        };
        let (record, canonical) = head::record_path(&dir, &self.path)?;
        let old = head::load(&record).map_err(|e| {
            io::Error::other(format!(
                "{} is unreadable, left as it is: {e}",
                record.display()
            ))
        })?;
        let (lines, anchor) = match old {
            Some(rec) if rec.size == w.size_before && Some(&rec.hash) == w.prev_hash.as_ref() => {
                (rec.lines + w.new_lines, rec.anchor)
            }
            old => {
                let mut data = Vec::new();
                file.seek(SeekFrom::Start(0))?;
                file.read_to_end(&mut data)?;
                if let Some(rec) = old
                    && !head::still_holds(&rec, &data)
                {
                    // Cut or replaced: keep the evidence for `verify`.
                    return Err(io::Error::other(format!(
                        "the file no longer holds the head recorded in {} (line {}, hash {}); \
                         the record is kept for `opsboard audit verify`",
                        record.display(),
                        rec.lines,
                        rec.hash
                    )));
                }
                (count_lines(&data), first_anchor(&data))
            }
        };
        let rec = HeadRecord {
            path: canonical.to_string_lossy().into_owned(),
            anchor,
            lines,
            seq: w.entry.seq,
            hash: w.entry.hash.clone(),
            size: w.size_after,
            time: w.entry.time.clone(),
        };
        head::store(&record, &rec)
    }
}

/// What one append did.
struct Written {
    entry: AuditEntry,
    size_before: u64,
    size_after: u64,
    /// The hash the new line chains from (`None` when it started a log).
    prev_hash: Option<String>,
    /// Lines the write added (not counting the end of a torn fragment).
    new_lines: u64,
}

fn first_anchor(data: &[u8]) -> Option<String> {
    super::lines::split_lines(data)
        .iter()
        .find_map(|raw| parse_line(raw.bytes).ok())
        .and_then(|l| match l {
            AuditLine::Anchor(a) => Some(a.anchor),
            AuditLine::Entry(_) => None,
        })
}

/// Called with the exclusive lock held.
fn append_locked(file: &mut File, record: &AuditRecord) -> io::Result<Written> {
    let len = file.metadata()?.len();
    let tail = last_link(file, len, TAIL_CHUNK)?;
    let time = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let mut buf = Vec::new();
    if !tail.ends_with_newline {
        // A torn fragment from a crashed writer: leave it, start afresh.
        buf.push(b'\n');
    }
    let prev_hash = tail.link.as_ref().map(|l| l.hash().to_string());
    let (seq, prev) = match &tail.link {
        Some(l) => (l.seq().saturating_add(1), l.hash().to_string()),
        None => {
            // A new log (or one with no line left to chain from) starts
            // with an anchor: 32 random bytes nobody can predict, so no
            // other chain can pass for this one.
            let anchor = AuditAnchor::new(private_file::random_hex(32)?, time.clone());
            buf.extend_from_slice(anchor.to_line().as_bytes());
            buf.push(b'\n');
            (1, anchor.hash)
        }
    };
    let mut entry = AuditEntry {
        seq,
        time,
        user: safe(&current_user()),
        host: safe(&current_host()),
        target: safe(&record.target),
        verb: safe(&record.verb),
        parameters: redact_parameters(&record.parameters),
        outcome: record.outcome,
        duration_ms: record.duration_ms,
        message: record.message.as_deref().map(safe),
        job: record.job,
        run: Some(run_id().to_string()),
        prev,
        hash: String::new(),
    };
    entry.hash = entry.compute_hash();
    buf.extend_from_slice(entry.to_line().as_bytes());
    buf.push(b'\n');
    // O_APPEND: the write lands at the end whatever the read position.
    file.write_all(&buf)?;
    file.sync_all()?;
    let newlines = memchr::memchr_iter(b'\n', &buf).count() as u64;
    Ok(Written {
        entry,
        size_before: len,
        size_after: len + buf.len() as u64,
        prev_hash,
        new_lines: newlines - u64::from(!tail.ends_with_newline),
    })
}

/// What `append` needs from the end of the file.
#[derive(Debug)]
struct Tail {
    /// The last line that parses as an entry or an anchor (torn or garbage
    /// lines after it are skipped).
    link: Option<AuditLine>,
    /// False when the file ends mid-line.
    ends_with_newline: bool,
}

/// Reads backwards from `len` in `chunk`-sized steps until it finds a line
/// that parses. Reads the whole file only if no line does.
fn last_link<R: Read + Seek>(r: &mut R, len: u64, chunk: usize) -> io::Result<Tail> {
    if len == 0 {
        return Ok(Tail {
            link: None,
            ends_with_newline: true,
        });
    }
    let mut last = [0u8; 1];
    r.seek(SeekFrom::Start(len - 1))?;
    r.read_exact(&mut last)?;
    let ends_with_newline = last[0] == b'\n';
    // `buf` holds the file's bytes `buf_start..end` not yet looked at.
    let end = if ends_with_newline { len - 1 } else { len };
    let mut buf: Vec<u8> = Vec::new();
    let mut buf_start = end;
    let chunk = chunk.max(1) as u64;
    loop {
        if let Some(nl) = memchr::memrchr(b'\n', &buf) {
            if let Ok(link) = parse_line(&buf[nl + 1..]) {
                return Ok(Tail {
                    link: Some(link),
                    ends_with_newline,
                });
            }
            buf.truncate(nl);
            continue;
        }
        if buf_start == 0 {
            return Ok(Tail {
                link: parse_line(&buf).ok(),
                ends_with_newline,
            });
        }
        let n = chunk.min(buf_start);
        let start = buf_start - n;
        let mut more = vec![0u8; n as usize];
        r.seek(SeekFrom::Start(start))?;
        r.read_exact(&mut more)?;
        more.extend_from_slice(&buf);
        buf = more;
        buf_start = start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::audit::test_support::{chain_lines, entry, line_for};
    use crate::ops::audit::{AuditOutcome, ProblemKind};
    use std::collections::BTreeMap;
    use std::io::Cursor;

    fn seq_of(t: &Tail) -> Option<u64> {
        t.link.as_ref().map(AuditLine::seq)
    }

    #[test]
    fn tail_finds_the_last_entry_across_chunk_boundaries() {
        let text = format!("{}\n{}\n{}\n", line_for(1), line_for(2), line_for(3));
        for chunk in [1, 2, 7, 64, 100_000] {
            let t = last_link(&mut Cursor::new(text.as_bytes()), text.len() as u64, chunk).unwrap();
            assert_eq!(seq_of(&t), Some(3), "chunk {chunk}");
            assert!(t.ends_with_newline);
        }
    }

    #[test]
    fn tail_skips_torn_and_garbage_lines() {
        let l3 = line_for(3);
        let text = format!("{}\n{}\nnot json\n{}", line_for(1), line_for(2), &l3[..40]);
        for chunk in [3, 4096] {
            let t = last_link(&mut Cursor::new(text.as_bytes()), text.len() as u64, chunk).unwrap();
            assert_eq!(seq_of(&t), Some(2));
            assert!(!t.ends_with_newline);
        }
        // A complete entry that only lacks its newline is still the last one.
        let text = format!("{}\n{}", line_for(1), line_for(2));
        let t = last_link(&mut Cursor::new(text.as_bytes()), text.len() as u64, 5).unwrap();
        assert_eq!(seq_of(&t), Some(2));
        assert!(!t.ends_with_newline);
    }

    #[test]
    fn tail_of_empty_or_hopeless_files() {
        let t = last_link(&mut Cursor::new(b""), 0, 8).unwrap();
        assert!(t.link.is_none() && t.ends_with_newline);
        let text = b"garbage\n{\"seq\":";
        let t = last_link(&mut Cursor::new(text), text.len() as u64, 3).unwrap();
        assert!(t.link.is_none() && !t.ends_with_newline);
        let one = line_for(1);
        let t = last_link(&mut Cursor::new(one.as_bytes()), one.len() as u64, 3).unwrap();
        assert_eq!(seq_of(&t), Some(1));
    }

    #[test]
    fn absurd_seqs_saturate_on_append() {
        let mut lines = chain_lines(3);
        let mut e = entry();
        e.seq = u64::MAX;
        e.prev = "f".repeat(64);
        e.hash = e.compute_hash();
        lines.push(e.to_line());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let log = AuditLog::new(path).with_head_dir(dir.path().join("heads"));
        let next = log.append(&AuditRecord {
            target: "t".into(),
            verb: "v".into(),
            parameters: BTreeMap::new(),
            outcome: AuditOutcome::Refused,
            duration_ms: None,
            message: None,
            job: None,
        });
        assert_eq!(next.unwrap().seq, u64::MAX);
        let r = log.verify().unwrap();
        assert!(!r.is_ok());
        assert!(r.problems.iter().any(|p| p.kind == ProblemKind::Deleted));
    }
}
