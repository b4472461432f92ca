//! The `secret-*` tools run as subprocesses. Secret content never goes on
//! a command line: `secret-add` and `secret-set` read it from a JSON file
//! (`--file`, which Juju reads as JSON or YAML) in a fresh directory only
//! this user may enter, removed as soon as the tool exits.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::ProcessTools;
use crate::tools::secrets::{canonical_secret_id, SecretInfoFields};
use crate::tools::{
    SecretContent, SecretInfo, SecretOptions, SecretRef, SecretRevision, ToolError,
};

/// A private file holding secret content for one tool call, removed (with
/// its directory) when dropped.
struct SecretFile {
    dir: PathBuf,
    path: PathBuf,
}

impl SecretFile {
    /// Write `content` as JSON to `content.json` in a new directory of mode
    /// 0700 under the system's temporary directory; the file is mode 0600.
    fn new(tool: &str, content: &SecretContent) -> Result<SecretFile, ToolError> {
        let io = |source| ToolError::Io {
            tool: tool.to_string(),
            source,
        };
        let dir = std::env::temp_dir().join(format!("reactive-secret-{}", uuid::Uuid::new_v4()));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(&dir).map_err(io)?;
        // From here on, dropping `file` removes the directory.
        let file = SecretFile {
            path: dir.join("content.json"),
            dir,
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut out = options.open(&file.path).map_err(io)?;
        // A map of strings always serializes.
        let json = serde_json::to_vec(content.expose())
            .map_err(|err| io(std::io::Error::other(err.to_string())))?;
        out.write_all(&json).map_err(io)?;
        out.sync_all().map_err(io)?;
        Ok(file)
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SecretFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `--label`, `--description`, `--expire`, `--rotate` (and, with
/// `owner`, `--owner`) arguments of `options`.
fn option_args(options: &SecretOptions, owner: bool) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(label) = &options.label {
        args.extend(["--label".to_string(), label.clone()]);
    }
    if let Some(description) = &options.description {
        args.extend(["--description".to_string(), description.clone()]);
    }
    if let Some(expire) = &options.expire {
        args.extend(["--expire".to_string(), expire.clone()]);
    }
    if let Some(rotate) = options.rotate {
        args.extend(["--rotate".to_string(), rotate.as_str().to_string()]);
    }
    if owner {
        if let Some(who) = options.owner {
            args.extend(["--owner".to_string(), who.as_str().to_string()]);
        }
    }
    args
}

impl ProcessTools {
    pub(super) fn tool_secret_add(
        &mut self,
        content: &SecretContent,
        options: &SecretOptions,
    ) -> Result<String, ToolError> {
        const TOOL: &str = "secret-add";
        content.validate(TOOL)?;
        let file = SecretFile::new(TOOL, content)?;
        let mut args = option_args(options, true);
        args.extend(["--file".to_string(), file.path().display().to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let secrets: Vec<&str> = content.expose().values().map(String::as_str).collect();
        let id = self.run_text(TOOL, &args, &secrets)?;
        drop(file);
        if !id.starts_with("secret:") {
            return Err(ToolError::bad_output(
                TOOL,
                &args,
                id.as_bytes(),
                "expected a secret id (secret:…)".to_string(),
            ));
        }
        Ok(id)
    }

    pub(super) fn tool_secret_get(
        &mut self,
        secret: SecretRef<'_>,
        revision: SecretRevision,
    ) -> Result<SecretContent, ToolError> {
        let mut args = vec!["--format=json"];
        match revision {
            SecretRevision::Tracked => {}
            SecretRevision::Peek => args.push("--peek"),
            SecretRevision::Refresh => args.push("--refresh"),
        }
        args.extend(secret.args());
        let bag = self.run_bag("secret-get", &args)?;
        Ok(SecretContent::new(bag))
    }

    pub(super) fn tool_secret_set(
        &mut self,
        id: &str,
        content: Option<&SecretContent>,
        options: &SecretOptions,
    ) -> Result<(), ToolError> {
        const TOOL: &str = "secret-set";
        let file = match content {
            Some(content) => {
                content.validate(TOOL)?;
                Some(SecretFile::new(TOOL, content)?)
            }
            None => None,
        };
        let mut args = option_args(options, false);
        if let Some(file) = &file {
            args.extend(["--file".to_string(), file.path().display().to_string()]);
        }
        args.push(id.to_string());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let secrets: Vec<&str> = content
            .map(|c| c.expose().values().map(String::as_str).collect())
            .unwrap_or_default();
        self.run_quiet(TOOL, &args, &secrets)
    }

    pub(super) fn tool_secret_access(
        &mut self,
        tool: &'static str,
        id: &str,
        relation_id: &str,
        unit: Option<&str>,
    ) -> Result<(), ToolError> {
        let mut args = vec!["--relation", relation_id];
        if let Some(unit) = unit {
            args.extend(["--unit", unit]);
        }
        args.push(id);
        self.run_quiet(tool, &args, &[])
    }

    pub(super) fn tool_secret_remove(
        &mut self,
        id: &str,
        revision: Option<u64>,
    ) -> Result<(), ToolError> {
        let revision = revision.map(|r| r.to_string());
        let mut args = Vec::with_capacity(3);
        if let Some(revision) = &revision {
            args.extend(["--revision", revision.as_str()]);
        }
        args.push(id);
        self.run_quiet("secret-remove", &args, &[])
    }

    pub(super) fn tool_secret_ids(&mut self) -> Result<Vec<String>, ToolError> {
        let ids = self.run_list("secret-ids", &["--format=json"])?;
        Ok(ids.iter().map(|id| canonical_secret_id(id)).collect())
    }

    pub(super) fn tool_secret_info_get(
        &mut self,
        secret: SecretRef<'_>,
    ) -> Result<SecretInfo, ToolError> {
        const TOOL: &str = "secret-info-get";
        // Juju takes an id or a label, not both: the id wins.
        let secret = match secret {
            SecretRef::IdAndLabel(id, _) => SecretRef::Id(id),
            other => other,
        };
        let mut args = vec!["--format=json"];
        args.extend(secret.args());
        let all: BTreeMap<String, SecretInfoFields> = self.run_typed(TOOL, &args)?;
        let mut entries = all.into_iter();
        match (entries.next(), entries.next()) {
            (Some((id, fields)), None) => Ok(fields.into_info(&id)),
            (None, _) => Err(ToolError::bad_output(
                TOOL,
                &args,
                b"",
                "expected one secret, got none".to_string(),
            )),
            (Some(_), Some(_)) => Err(ToolError::bad_output(
                TOOL,
                &args,
                b"",
                "expected one secret, got several".to_string(),
            )),
        }
    }
}
