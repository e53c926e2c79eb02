//! The layers run one way: web and API → services → events, delivery → db → domain. A
//! module that reaches upward, or an edge that reaches past the services into storage, fails
//! here with the file and the path it named.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each layer (a folder of `src/`) and the crate modules it must not name.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "domain",
        &[
            "db", "services", "events", "delivery", "web", "api", "auth", "state",
        ],
    ),
    (
        "db",
        &[
            "services", "events", "delivery", "web", "api", "auth", "state",
        ],
    ),
    ("events", &["services", "web", "api", "auth"]),
    ("delivery", &["services", "web", "api", "auth"]),
    ("services", &["web", "api", "auth"]),
    ("auth", &["db", "web", "api"]),
    ("web", &["db", "api"]),
    ("api", &["db", "web"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The crate modules a file names: `crate::x::…` and `use crate::{x, y}`.
fn named_modules(source: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (i, _) in source.match_indices("crate::") {
        let rest = &source[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name = item.trim().split("::").next().unwrap_or_default();
                names.insert(
                    name.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            names.insert(rest[..end].to_owned());
        }
    }
    names
}

#[test]
fn each_layer_names_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut breaches = Vec::new();
    for (layer, forbidden) in FORBIDDEN {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "src/{layer} has no Rust files");
        for file in files {
            let source = std::fs::read_to_string(&file).expect("source file");
            let named = named_modules(&source);
            for module in forbidden.iter().filter(|m| named.contains(**m)) {
                breaches.push(format!("{} names crate::{module}", file.display()));
            }
            let edge = matches!(*layer, "web" | "api" | "auth");
            if edge && source.contains("sqlx") {
                breaches.push(format!("{} names sqlx", file.display()));
            }
        }
    }
    assert!(breaches.is_empty(), "{}", breaches.join("\n"));
}

#[test]
fn the_module_reader_finds_grouped_and_plain_paths() {
    let named =
        named_modules("use crate::{db, web as pages};\nlet x = crate::services::seed::run();");
    assert_eq!(
        named.into_iter().collect::<Vec<_>>(),
        ["db", "services", "web"]
    );
}
