//! Writing Prometheus's configuration: the certificates of the accepted
//! jobs and `prometheus.yml`.

use std::borrow::Cow;
use std::fs;
use std::io::{self, Write};
use std::ops::Range;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use memchr::memmem;
use serde_json::Value;

/// One accepted job, as Prometheus must render it.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptedJob {
    /// The request id (a canonical UUID, checked by the framework).
    pub request_id: String,
    /// The desired job name.
    pub job_name: String,
    /// The scrape job stanza.
    pub job_data: Value,
    /// PEM of the CA, if sent.
    pub ca_cert: Option<String>,
    /// PEM of the client cert, if sent.
    pub client_cert: Option<String>,
    /// PEM of the client key, if sent.
    pub client_key: Option<String>,
}

/// Write `contents` to `path` through a temporary file and a rename, with
/// `mode` from creation (so a key is never readable by others, even
/// briefly).
fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    write_atomic_with(path, mode, |file| file.write_all(contents))
}

/// [`write_atomic`] with the writing of the contents given (streamed by
/// [`write_file`]; tests inject a full disk). On any failure the temporary
/// file is removed, and the error names the file.
fn write_atomic_with<T>(
    path: &Path,
    mode: u32,
    write: impl FnOnce(&mut fs::File) -> io::Result<T>,
) -> io::Result<T> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let tmp = path.with_file_name(name);
    let named = |what: &str, e: io::Error| {
        io::Error::new(e.kind(), format!("cannot {what} {}: {e}", path.display()))
    };
    let written = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))?;
        let value = write(&mut file)?;
        file.sync_all()?;
        Ok(value)
    })();
    let value = match written {
        Ok(value) => value,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(named("write", e));
        }
    };
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        named("rename into place", e)
    })?;
    Ok(value)
}

/// Write (or remove) one certificate file of a job; returns its absolute
/// path when written.
fn sync_file(dir: &Path, name: &str, pem: Option<&str>, mode: u32) -> io::Result<Option<PathBuf>> {
    let path = dir.join(name);
    match pem.filter(|p| !p.is_empty()) {
        Some(pem) => {
            fs::create_dir_all(dir)?;
            write_atomic(&path, pem.as_bytes(), mode)?;
            Ok(Some(path))
        }
        None => {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            Ok(None)
        }
    }
}

/// One accepted job as `prometheus.yml` holds it: its rendered name (the
/// sort key) and its rendered text, which refers to its certificate folder
/// when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedJob {
    /// The request id.
    pub request_id: String,
    /// The rendered `job_name` (`<job_name>-<request_id>`).
    pub job_name: String,
    /// The job as `prometheus.yml` holds it: JSON with 2-space indent and
    /// sorted keys, non-ASCII escaped, each line indented to the job's
    /// depth in the file (see [`indent`]).
    pub text: String,
}

impl RenderedJob {
    /// The job as [`write_file`] takes it.
    pub fn as_file_job(&self) -> FileJob<'_> {
        FileJob {
            request_id: &self.request_id,
            job_name: &self.job_name,
            text: &self.text,
        }
    }
}

/// Write (or remove) the certificate files of `job` and render it with
/// their absolute paths.
///
/// Its certificates go to `certs/<request_id>/ca.crt`, `client.crt` (0644)
/// and `client.key` (0600); those it no longer carries are removed, and a
/// job carrying none has no folder.
pub fn render(charm_dir: &Path, job: &AcceptedJob) -> io::Result<RenderedJob> {
    let dir = charm_dir.join("certs").join(&job.request_id);
    let ca = sync_file(&dir, "ca.crt", job.ca_cert.as_deref(), 0o644)?;
    let cert = sync_file(&dir, "client.crt", job.client_cert.as_deref(), 0o644)?;
    let key = sync_file(&dir, "client.key", job.client_key.as_deref(), 0o600)?;
    if ca.is_none() && cert.is_none() && key.is_none() {
        remove_folder(charm_dir, &job.request_id)?;
    }
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.to_string_lossy().into_owned());
    let (ca, cert, key) = (path(&ca), path(&cert), path(&key));
    let value = prometheus_manual::render_job_value(
        &job.job_name,
        &job.request_id,
        &job.job_data,
        ca.as_deref(),
        cert.as_deref(),
        key.as_deref(),
    );
    let job_name = value
        .get("job_name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    Ok(RenderedJob {
        request_id: job.request_id.clone(),
        job_name,
        text: indent(&reactive_core::pyjson::to_python_json_pretty(&value, 2)),
    })
}

/// Remove the certificate folder of request `request_id`, if there is one.
pub fn remove_folder(charm_dir: &Path, request_id: &str) -> io::Result<()> {
    match fs::remove_dir_all(charm_dir.join("certs").join(request_id)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

const HEAD: &str = "{\n  \"scrape_configs\": [\n";
const SEPARATOR: &str = ",\n";
const TAIL: &str = "\n  ]\n}\n";
const EMPTY: &str = "{\n  \"scrape_configs\": []\n}\n";
/// Each line of a job's text is indented this much in the file.
const INDENT: &str = "    ";

/// What [`write_file`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The file's length in bytes.
    pub len: usize,
    /// The CRC-32 of the file's bytes.
    pub crc32: u32,
}

/// One job as [`write_file`] places it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileJob<'a> {
    /// Its request id: the name of its folder under `certs/`.
    pub request_id: &'a str,
    /// Its rendered `job_name`, by which the file is sorted.
    pub job_name: &'a str,
    /// Its text as the file holds it ([`indent`]ed).
    pub text: &'a str,
}

/// The text of `prometheus.yml` for these jobs: `{"scrape_configs": [...]}`,
/// the jobs sorted by rendered `job_name`, as JSON with 2-space indent,
/// sorted keys, non-ASCII escaped and a final newline (JSON is valid
/// YAML). Each job's text (a top-level JSON text) is placed as it is,
/// indented to its depth.
pub fn assemble<'a>(jobs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let indented: Vec<(&str, String)> = jobs
        .into_iter()
        .map(|(name, text)| (name, indent(text)))
        .collect();
    join(indented.iter().map(|(name, span)| (*name, span.as_str())))
}

/// A job's text (a top-level JSON text) as the file holds it: each line
/// indented to the job's depth.
pub fn indent(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8 + INDENT.len());
    for (j, line) in text.split('\n').enumerate() {
        if j > 0 {
            out.push('\n');
        }
        out.push_str(INDENT);
        out.push_str(line);
    }
    out
}

/// Write the file for these jobs, each given with its rendered name and
/// its indented text (sorted by name, joined), to `out`, which sees each
/// piece once.
fn join_into<'a>(
    jobs: impl IntoIterator<Item = (&'a str, &'a str)>,
    out: &mut impl FnMut(&str) -> io::Result<()>,
) -> io::Result<()> {
    let jobs: Vec<(&str, &str)> = jobs.into_iter().collect();
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by(|a, b| jobs[*a].0.cmp(jobs[*b].0));
    if jobs.is_empty() {
        return out(EMPTY);
    }
    out(HEAD)?;
    for (n, i) in order.into_iter().enumerate() {
        if n > 0 {
            out(SEPARATOR)?;
        }
        out(jobs[i].1)?;
    }
    out(TAIL)
}

/// [`join_into`] a string.
fn join<'a>(jobs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut content = String::new();
    let joined = join_into(jobs, &mut |piece| {
        content.push_str(piece);
        Ok(())
    });
    debug_assert!(joined.is_ok(), "a string takes every piece");
    content
}

/// A job's text as the file holds it opens and closes with these lines:
/// its braces, indented to the job's depth. Every other line of it is
/// indented deeper, and a JSON string holds no raw line break, so
/// [`BETWEEN_JOBS`] stands only between two jobs.
const JOB_OPEN: &str = "    {\n";
const JOB_CLOSE: &str = "\n    }";
/// The end of one job, [`SEPARATOR`] and the start of the next.
const BETWEEN_JOBS: &str = "\n    },\n    {\n";

/// Where the texts of the jobs are in `content` (a file [`write_file`]
/// wrote), in file order, found from the lines that open and close each
/// job; `None` when the file is not made that way.
pub fn job_spans(content: &str) -> Option<Vec<Range<usize>>> {
    if content == EMPTY {
        return Some(Vec::new());
    }
    let start = HEAD.len();
    let end = content.len().checked_sub(TAIL.len())?;
    if start > end || !content.starts_with(HEAD) || !content.ends_with(TAIL) {
        return None;
    }
    let body = &content.as_bytes()[start..end];
    let mut spans = Vec::new();
    let mut at = 0;
    for found in memmem::find_iter(body, BETWEEN_JOBS) {
        let job_end = found + JOB_CLOSE.len();
        spans.push(start + at..start + job_end);
        at = job_end + SEPARATOR.len();
    }
    spans.push(start + at..end);
    spans
        .iter()
        .all(|span| {
            let text = &content[span.clone()];
            text.len() >= JOB_OPEN.len() + JOB_CLOSE.len()
                && text.starts_with(JOB_OPEN)
                && text.ends_with(JOB_CLOSE)
        })
        .then_some(spans)
}

/// The key `job_name` as a job's text holds it at its top level: indented
/// to the depth of the job's keys (nested keys are indented deeper).
const NAME_KEY: &str = "\n      \"job_name\": ";

/// The jobs of `content` (a file [`write_file`] wrote), in file order:
/// where each one's text is ([`job_spans`]) and its rendered `job_name`
/// ([`job_name_in`]); `None` when the file is not made that way or a job
/// has no name.
pub fn jobs_in_file(content: &str) -> Option<Vec<(Range<usize>, Cow<'_, str>)>> {
    let key = memmem::Finder::new(NAME_KEY);
    job_spans(content)?
        .into_iter()
        .map(|span| {
            let name = name_found_with(&key, &content[span.clone()])?;
            Some((span, name))
        })
        .collect()
}

/// The rendered `job_name` of a job's text as the file holds it (its
/// top-level key), decoded, borrowed when it holds no escape; `None` when
/// the job has none.
pub fn job_name_in(text: &str) -> Option<Cow<'_, str>> {
    name_found_with(&memmem::Finder::new(NAME_KEY), text)
}

fn name_found_with<'t>(key: &memmem::Finder<'_>, text: &'t str) -> Option<Cow<'t, str>> {
    // The keys are sorted, so `job_name` is most often the first.
    let first = JOB_OPEN.len() - 1;
    let at = match text.get(first..).filter(|t| t.starts_with(NAME_KEY)) {
        Some(_) => first,
        None => key.find(text.as_bytes())?,
    };
    let value = &text[at + NAME_KEY.len()..];
    let value = &value[..memchr::memchr(b'\n', value.as_bytes()).unwrap_or(value.len())];
    let value = value.strip_suffix(',').unwrap_or(value);
    // A name without escapes (as a thousand names are) is the text between
    // the quotes; any other is left to the JSON parser.
    let plain = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .filter(|name| memchr::memchr2(b'"', b'\\', name.as_bytes()).is_none());
    match plain {
        Some(name) => Some(Cow::Borrowed(name)),
        None => serde_json::from_str::<String>(value).ok().map(Cow::Owned),
    }
}

/// Whether a job's text refers to its certificate folder
/// (`…/certs/<request_id>/…`): [`render`] writes the paths of its
/// certificates into a job that has some, and removes the folder of one
/// that has none.
fn refers_to_certs(text: &str, request_id: &str) -> bool {
    const DIR: &str = "/certs/";
    memmem::find_iter(text.as_bytes(), DIR).any(|at| {
        text[at + DIR.len()..]
            .strip_prefix(request_id)
            .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// Write `prometheus.yml` with these jobs and delete every folder under
/// `certs/` that is not one of theirs with certificates (that their text
/// refers to); returns what was written.
///
/// The file is written as it is joined, through a buffer, its CRC-32
/// computed on the way: no copy of it is made in memory.
pub fn write_file(charm_dir: &Path, jobs: &[FileJob<'_>]) -> io::Result<Written> {
    let certs = charm_dir.join("certs");
    if certs.exists() {
        let keep: std::collections::HashSet<&str> = jobs
            .iter()
            .filter(|j| refers_to_certs(j.text, j.request_id))
            .map(|j| j.request_id)
            .collect();
        for entry in fs::read_dir(&certs)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !keep.contains(name.as_str()) {
                if entry.file_type()?.is_dir() {
                    fs::remove_dir_all(entry.path())?;
                } else {
                    fs::remove_file(entry.path())?;
                }
            }
        }
    }
    write_atomic_with(&charm_dir.join("prometheus.yml"), 0o644, |file| {
        let mut out = io::BufWriter::with_capacity(64 * 1024, file);
        let mut crc = crc32fast::Hasher::new();
        let mut len = 0;
        join_into(jobs.iter().map(|j| (j.job_name, j.text)), &mut |piece| {
            crc.update(piece.as_bytes());
            len += piece.len();
            out.write_all(piece.as_bytes())
        })?;
        out.flush()?;
        Ok(Written {
            len,
            crc32: crc.finalize(),
        })
    })
}

/// Bring `<charm_dir>/certs/` and `<charm_dir>/prometheus.yml` in line with
/// the accepted jobs, rendering each ([`render`], then [`write_file`]);
/// returns the number of jobs written.
pub fn write_config(charm_dir: &Path, jobs: &[AcceptedJob]) -> io::Result<usize> {
    let rendered = jobs
        .iter()
        .map(|job| render(charm_dir, job))
        .collect::<io::Result<Vec<_>>>()?;
    let placed: Vec<FileJob> = rendered.iter().map(RenderedJob::as_file_job).collect();
    write_file(charm_dir, &placed)?;
    Ok(rendered.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tempdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("prom-cfg-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn job(id: &str, name: &str) -> AcceptedJob {
        AcceptedJob {
            request_id: id.into(),
            job_name: name.into(),
            job_data: json!({"static_configs": [{"targets": ["h:1"]}], "tls_config": {"ca_file": "__ca_file__"}}),
            ca_cert: None,
            client_cert: None,
            client_key: None,
        }
    }

    #[test]
    fn a_full_disk_leaves_no_temporary_file_and_names_the_file() {
        let dir = tempdir("full-disk");
        let path = dir.join("prometheus.yml");
        fs::write(&path, "old\n").unwrap();
        let contents = b"new contents\n";
        let full = |file: &mut fs::File| -> io::Result<()> {
            file.write_all(&contents[..contents.len() / 2])?;
            Err(io::Error::from_raw_os_error(28))
        };
        let e = write_atomic_with(&path, 0o644, full).unwrap_err();
        assert_eq!(e.raw_os_error(), None, "wrapped with the file's name");
        assert_eq!(e.kind(), io::ErrorKind::StorageFull);
        assert!(e.to_string().contains(&path.display().to_string()), "{e}");
        let left: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["prometheus.yml"], "temporary files left behind");
        assert_eq!(fs::read_to_string(&path).unwrap(), "old\n");
        // /dev/full, the real thing, for the data of a write that goes
        // through the file system too.
        let e = write_atomic_with(&path, 0o644, |_| {
            fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")?
                .write_all(b"x")
        })
        .unwrap_err();
        assert!(e.to_string().contains("prometheus.yml"), "{e}");
        assert!(!dir.join("prometheus.yml.tmp").exists());
    }

    #[test]
    fn certs_are_written_with_modes_and_referenced() {
        let dir = tempdir("modes");
        let mut j = job("11111111-1111-4111-8111-111111111111", "node");
        j.ca_cert = Some("CA PEM".into());
        j.client_cert = Some("CERT PEM".into());
        j.client_key = Some("KEY PEM".into());
        assert_eq!(write_config(&dir, &[j]).unwrap(), 1);
        let jd = dir.join("certs/11111111-1111-4111-8111-111111111111");
        let mode = |p: &str| fs::metadata(jd.join(p)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("ca.crt"), 0o644);
        assert_eq!(mode("client.crt"), 0o644);
        assert_eq!(mode("client.key"), 0o600);
        let yml: Value =
            serde_json::from_str(&fs::read_to_string(dir.join("prometheus.yml")).unwrap()).unwrap();
        assert_eq!(
            yml["scrape_configs"][0]["tls_config"]["ca_file"],
            jd.join("ca.crt").to_string_lossy().as_ref()
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn stale_folders_and_dropped_certs_are_removed() {
        let dir = tempdir("stale");
        let mut a = job("aaaaaaaa-1111-4111-8111-111111111111", "a");
        a.ca_cert = Some("CA".into());
        let mut b = job("bbbbbbbb-1111-4111-8111-111111111111", "b");
        b.ca_cert = Some("CA".into());
        write_config(&dir, &[a.clone(), b]).unwrap();
        a.ca_cert = None;
        write_config(&dir, &[a]).unwrap();
        assert!(!dir
            .join("certs/aaaaaaaa-1111-4111-8111-111111111111")
            .exists());
        assert!(!dir
            .join("certs/bbbbbbbb-1111-4111-8111-111111111111")
            .exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn assembling_rendered_jobs_gives_the_document_rendered_at_once() {
        let jobs = [
            serde_json::json!({"job_name": "b-2", "static_configs": [{"targets": ["h:1", "h:2"]}],
                               "tls_config": {}, "labels": [], "x": {"nested": [1, {"deep": "é\n\""}]}}),
            serde_json::json!({"job_name": "a-1", "scheme": "https"}),
            serde_json::json!({"job_name": "c-3", "static_configs": []}),
        ];
        let pretty = |v: &Value| reactive_core::pyjson::to_python_json_pretty(v, 2);
        let mut sorted = jobs.to_vec();
        sorted.sort_by(|a, b| a["job_name"].as_str().cmp(&b["job_name"].as_str()));
        let whole = pretty(&serde_json::json!({ "scrape_configs": sorted })) + "\n";
        let texts: Vec<(String, String)> = jobs
            .iter()
            .map(|j| (j["job_name"].as_str().unwrap().to_string(), pretty(j)))
            .collect();
        assert_eq!(
            assemble(texts.iter().map(|(n, t)| (n.as_str(), t.as_str()))),
            whole
        );
        let empty = pretty(&serde_json::json!({ "scrape_configs": [] })) + "\n";
        assert_eq!(assemble([]), empty);
    }

    #[test]
    fn the_jobs_of_a_written_file_and_their_names_are_found_again() {
        // Nested objects and lists, keys before and after `job_name`,
        // strings holding braces, commas, escapes and a line break.
        let jobs = [
            serde_json::json!({"job_name": "b-2", "static_configs": [{"targets": ["h:1", "h:2"]}],
                               "honor_labels": true, "x": {"y": [1, {"z": "}\n    },\n    {"}]}}),
            serde_json::json!({"job_name": "a \"quoted\" é-1", "scheme": "https", "params": {"job_name": ["inner"]}}),
            serde_json::json!({"a": {"job_name": "nested, before"}, "job_name": "c-3"}),
        ];
        let pretty = |v: &Value| reactive_core::pyjson::to_python_json_pretty(v, 2);
        let texts: Vec<(String, String)> = jobs
            .iter()
            .map(|j| (j["job_name"].as_str().unwrap().to_string(), pretty(j)))
            .collect();
        let content = assemble(texts.iter().map(|(n, t)| (n.as_str(), t.as_str())));
        let spans = job_spans(&content).unwrap();
        let found: Vec<&str> = spans.iter().map(|span| &content[span.clone()]).collect();
        // File order is by name.
        let mut expected: Vec<(String, String)> = texts
            .iter()
            .map(|(name, text)| (name.clone(), indent(text)))
            .collect();
        expected.sort();
        assert_eq!(
            found,
            expected.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>()
        );
        let names: Vec<Cow<str>> = found.iter().map(|t| job_name_in(t).unwrap()).collect();
        assert_eq!(
            names,
            expected.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>()
        );
        // Borrowed unless escaped (`é` and the quotes are).
        assert!(matches!(names[1], Cow::Borrowed(_)));
        assert!(matches!(names[0], Cow::Owned(_)));
        // No file, or one made otherwise, is read.
        assert_eq!(job_spans(&assemble([])), Some(vec![]));
        for bad in [
            "{}",
            "",
            "{\"scrape_configs\": []}",
            &content[..content.len() - 1],
            &content[1..],
            &format!("{HEAD}{TAIL}"),
            &format!("{HEAD}    {{\n      \"job_name\": \"a\"\n    }}{SEPARATOR}{TAIL}"),
            &format!("{HEAD}  {{\n  }}{TAIL}"),
        ] {
            assert_eq!(job_spans(bad), None, "{bad:?}");
        }
        // The patterns searched for are the pieces the file is made of.
        assert_eq!(BETWEEN_JOBS, format!("{JOB_CLOSE}{SEPARATOR}{JOB_OPEN}"));
        assert_eq!(JOB_OPEN, format!("{INDENT}{{\n"));
        assert_eq!(NAME_KEY, format!("\n{INDENT}  \"job_name\": "));
        assert_eq!(
            job_name_in("    {\n      \"scheme\": \"http\"\n    }"),
            None
        );
        assert_eq!(
            job_name_in("    {\n        \"job_name\": \"deeper\"\n    }"),
            None
        );
    }

    #[test]
    fn only_a_reference_to_its_own_folder_counts_as_certificates() {
        let id = "aaaaaaaa-1111-4111-8111-111111111111";
        let other = "bbbbbbbb-1111-4111-8111-111111111111";
        assert!(refers_to_certs(
            &format!("\"ca_file\": \"/srv/c/certs/{id}/ca.crt\""),
            id
        ));
        assert!(!refers_to_certs(
            &format!("\"ca_file\": \"/srv/c/certs/{other}/ca.crt\""),
            id
        ));
        assert!(!refers_to_certs(&format!("\"label\": \"certs/{id}\""), id));
        assert!(!refers_to_certs(&format!("/certs/{id}x/"), id));
        assert!(!refers_to_certs("", id));
    }

    #[test]
    fn what_write_file_reports_is_what_the_file_holds() {
        let dir = tempdir("written");
        let rendered: Vec<RenderedJob> = [
            job("22222222-1111-4111-8111-111111111111", "zeta"),
            job("11111111-1111-4111-8111-111111111111", "alpha"),
        ]
        .iter()
        .map(|j| render(&dir, j).unwrap())
        .collect();
        let placed: Vec<FileJob> = rendered.iter().map(RenderedJob::as_file_job).collect();
        let written = write_file(&dir, &placed).unwrap();
        let bytes = fs::read(dir.join("prometheus.yml")).unwrap();
        assert_eq!(written.len, bytes.len());
        assert_eq!(written.crc32, crc32fast::hash(&bytes));
        let text = String::from_utf8(bytes).unwrap();
        // File order is by name: alpha, then zeta.
        let spans = job_spans(&text).unwrap();
        assert_eq!(&text[spans[0].clone()], rendered[1].text);
        assert_eq!(&text[spans[1].clone()], rendered[0].text);
        let empty = write_file(&dir, &[]).unwrap();
        assert_eq!(empty.len, EMPTY.len());
        assert_eq!(empty.crc32, crc32fast::hash(EMPTY.as_bytes()));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn jobs_are_sorted_and_the_file_is_python_style_json() {
        let dir = tempdir("sorted");
        let jobs = [
            job("22222222-1111-4111-8111-111111111111", "zeta"),
            job("11111111-1111-4111-8111-111111111111", "é"),
        ];
        write_config(&dir, &jobs).unwrap();
        let text = fs::read_to_string(dir.join("prometheus.yml")).unwrap();
        assert!(text.ends_with("}\n"));
        assert!(text.contains("\\u00e9-11111111"), "{text}");
        let zeta = text.find("zeta-").unwrap();
        let e = text.find("\\u00e9-").unwrap();
        assert!(zeta < e, "sorted by rendered job_name: 'z' < '\\u00e9'");
        assert!(text.starts_with("{\n  \"scrape_configs\": [\n"), "{text}");
        write_config(&dir, &[]).unwrap();
        assert_eq!(
            fs::read_to_string(dir.join("prometheus.yml")).unwrap(),
            "{\n  \"scrape_configs\": []\n}\n"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
