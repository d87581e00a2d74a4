//! Where a policy store's files come from: a folder (`POLICY_STORE`,
//! `--policies`), or the store shipped in `policies/` and compiled into the
//! binary. A store is a schema, `schema.cedarschema` (Cedar's schema
//! format) or `schema.cedarschema.json` (its JSON format), and `*.cedar`
//! policy files, as a Verified Permissions policy store holds them. Plain
//! file reading; nothing of the crate is used here.
//!
//! It uses `policies::error`; it is used by `policies::store`, `policies`.

use std::path::{Path, PathBuf};

use super::error::StoreError;

/// The schema file names, Cedar format first.
pub const SCHEMA_FILES: [&str; 2] = ["schema.cedarschema", "schema.cedarschema.json"];

/// The store in the repository's `policies/`, as the binary carries it.
const SHIPPED: [(&str, &str); 4] = [
    ("schema.cedarschema", include_str!("../../../../policies/schema.cedarschema")),
    ("admins.cedar", include_str!("../../../../policies/admins.cedar")),
    ("me.cedar", include_str!("../../../../policies/me.cedar")),
    ("pets.cedar", include_str!("../../../../policies/pets.cedar")),
];

/// One file of a store: the name errors give it, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// `policies/pets.cedar`, or the path under the folder read.
    pub name: String,
    /// The file's text.
    pub text: String,
}

/// A store's files, not yet parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The folder read, `None` for the shipped store.
    pub folder: Option<PathBuf>,
    /// The schema, and whether it is in the JSON format.
    pub schema: (File, bool),
    /// The policy files, by name.
    pub policies: Vec<File>,
}

impl Source {
    /// The store shipped in `policies/`.
    pub fn shipped() -> Self {
        let file = |(name, text): &(&str, &str)| File {
            name: format!("policies/{name}"),
            text: (*text).to_owned(),
        };
        Self {
            folder: None,
            schema: (file(&SHIPPED[0]), false),
            policies: SHIPPED[1..].iter().map(file).collect(),
        }
    }

    /// The store in `folder`: its schema and every `*.cedar` file directly in it.
    ///
    /// # Errors
    /// A folder that cannot be read, without a schema (or with both formats), or without a policy file.
    pub fn read(folder: &Path) -> Result<Self, StoreError> {
        let problem =
            |problem: String| StoreError::Folder { folder: folder.display().to_string(), problem };
        let entries = std::fs::read_dir(folder).map_err(|e| {
            problem(format!(
                "cannot read it ({e}); name a folder holding schema.cedarschema and *.cedar files"
            ))
        })?;
        let mut names: Vec<String> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| problem(format!("cannot list it: {e}")))?;
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        let read = |name: &str| -> Result<File, StoreError> {
            let path = folder.join(name);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| problem(format!("cannot read {name}: {e}")))?;
            Ok(File { name: path.display().to_string(), text })
        };
        let schemas: Vec<&str> =
            SCHEMA_FILES.iter().copied().filter(|s| names.iter().any(|n| n == s)).collect();
        let schema = match schemas.as_slice() {
            [one] => (read(one)?, one.ends_with(".json")),
            [] => {
                return Err(problem(
                    "it has no schema.cedarschema (or schema.cedarschema.json)".into(),
                ));
            }
            _ => {
                return Err(problem(
                    "it has both schema.cedarschema and schema.cedarschema.json; keep one".into(),
                ));
            }
        };
        let policies: Vec<File> = names
            .iter()
            .filter(|n| n.ends_with(".cedar"))
            .map(|n| read(n))
            .collect::<Result<_, _>>()?;
        if policies.is_empty() {
            return Err(problem(
                "it has no *.cedar policy file; without a policy every request is denied".into(),
            ));
        }
        Ok(Self { folder: Some(folder.to_owned()), schema, policies })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_store_is_every_file_of_policies() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
        let read = Source::read(&dir).unwrap_or_else(|e| panic!("{e}"));
        let shipped = Source::shipped();
        let names = |s: &Source| -> Vec<String> {
            s.policies
                .iter()
                .map(|f| f.name.rsplit('/').next().unwrap_or_default().to_owned())
                .collect()
        };
        assert_eq!(names(&read), names(&shipped), "policies/ and the files compiled in differ");
        assert_eq!(read.schema.0.text, shipped.schema.0.text);
        for (a, b) in read.policies.iter().zip(&shipped.policies) {
            assert_eq!(a.text, b.text, "{}", a.name);
        }
    }
}
