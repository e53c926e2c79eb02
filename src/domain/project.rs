//! Projects and phases as forms and the API describe them, validated as a whole.

use chrono::NaiveDate;

use super::ids::UserId;
use super::{Entered, FieldErrors};

pub const PROJECT_STATUSES: [&str; 5] = ["Draft", "Active", "On hold", "Completed", "Cancelled"];
pub const PHASE_STATUSES: [&str; 3] = ["Not started", "In progress", "Done"];
pub const CODE_MAX_CHARS: usize = 30;
pub const NAME_MAX_CHARS: usize = 200;
pub const DESCRIPTION_MAX_CHARS: usize = 4000;
pub const BUDGET_MAX: i64 = 1_000_000_000_000;

#[derive(Debug, Clone, Default)]
pub struct ProjectInput {
    pub code: String,
    pub name: String,
    pub description: String,
    pub status: String,
    pub manager: Entered<i64>,
    pub start_date: String,
    pub finish_date: String,
    pub budget: Entered<i64>,
    pub priority: Entered<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectDraft {
    pub code: String,
    pub name: String,
    pub description: String,
    pub status: String,
    pub manager_id: Option<UserId>,
    pub start_date: Option<NaiveDate>,
    pub finish_date: Option<NaiveDate>,
    pub budget: Option<i64>,
    pub priority: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct PhaseInput {
    pub name: String,
    pub start_date: String,
    pub finish_date: String,
    pub status: String,
    pub progress: Entered<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseDraft {
    pub name: String,
    pub start_date: Option<NaiveDate>,
    pub finish_date: Option<NaiveDate>,
    pub status: String,
    pub progress: i64,
}

fn required_line(input: &str, label: &str, max: usize) -> Result<String, String> {
    let v = input.trim();
    if v.is_empty() {
        return Err(format!("{label} is required."));
    }
    if v.chars().count() > max {
        return Err(format!("{label} must be at most {max} characters."));
    }
    if v.chars().any(char::is_control) {
        return Err(format!("{label} must be a single line."));
    }
    Ok(v.to_owned())
}

pub fn parse_date(input: &str, label: &str) -> Result<Option<NaiveDate>, String> {
    match input.trim() {
        "" => Ok(None),
        v => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| format!("Enter the {label} as YYYY-MM-DD.")),
    }
}

fn parse_int(
    input: Entered<i64>,
    label: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<Option<i64>, String> {
    match input {
        Entered::Blank => Ok(None),
        Entered::Given(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(format!(
            "{label} must be a whole number from {} to {}.",
            range.start(),
            range.end()
        )),
    }
}

fn one_of(input: &str, allowed: &[&str], label: &str) -> Result<String, String> {
    allowed
        .iter()
        .find(|s| **s == input.trim())
        .map(|s| (*s).to_owned())
        .ok_or_else(|| format!("Choose a {label}: {}.", allowed.join(", ")))
}

fn check_order(start: Option<NaiveDate>, finish: Option<NaiveDate>, e: &mut FieldErrors) {
    if let (Some(s), Some(f)) = (start, finish)
        && f < s
    {
        e.add(
            "finish_date",
            "The finish date cannot be before the start date.",
        );
    }
}

impl ProjectDraft {
    pub fn parse(input: &ProjectInput) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::new();
        let code = e.check(
            "code",
            required_line(&input.code, "Code", CODE_MAX_CHARS).and_then(|c| {
                if c.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
                {
                    Ok(c)
                } else {
                    Err("Code may hold letters, digits, - _ and . only.".into())
                }
            }),
        );
        let name = e.check("name", required_line(&input.name, "Name", NAME_MAX_CHARS));
        let description = input.description.trim().to_owned();
        if description.chars().count() > DESCRIPTION_MAX_CHARS {
            e.add(
                "description",
                format!("Description must be at most {DESCRIPTION_MAX_CHARS} characters."),
            );
        }
        let status = e.check("status", one_of(&input.status, &PROJECT_STATUSES, "status"));
        let manager_id = e.check(
            "manager",
            parse_int(input.manager, "Manager", 1..=i64::MAX)
                .map_err(|_| "Choose a manager from the list.".to_owned()),
        );
        let start_date = e.check("start_date", parse_date(&input.start_date, "start date"));
        let finish_date = e.check("finish_date", parse_date(&input.finish_date, "finish date"));
        let budget = e.check("budget", parse_int(input.budget, "Budget", 0..=BUDGET_MAX));
        let priority = e.check("priority", parse_int(input.priority, "Priority", 1..=5));
        check_order(start_date.flatten(), finish_date.flatten(), &mut e);
        if !e.is_empty() {
            return Err(e);
        }
        let ok = "checked above";
        Ok(ProjectDraft {
            code: code.expect(ok),
            name: name.expect(ok),
            description,
            status: status.expect(ok),
            manager_id: manager_id.expect(ok).map(UserId::new),
            start_date: start_date.expect(ok),
            finish_date: finish_date.expect(ok),
            budget: budget.expect(ok),
            priority: priority.expect(ok),
        })
    }
}

impl PhaseDraft {
    pub fn parse(input: &PhaseInput) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::new();
        let name = e.check("name", required_line(&input.name, "Name", NAME_MAX_CHARS));
        let start_date = e.check("start_date", parse_date(&input.start_date, "start date"));
        let finish_date = e.check("finish_date", parse_date(&input.finish_date, "finish date"));
        let status = e.check("status", one_of(&input.status, &PHASE_STATUSES, "status"));
        let progress = e.check("progress", parse_int(input.progress, "Progress", 0..=100));
        check_order(start_date.flatten(), finish_date.flatten(), &mut e);
        if !e.is_empty() {
            return Err(e);
        }
        let ok = "checked above";
        Ok(PhaseDraft {
            name: name.expect(ok),
            start_date: start_date.expect(ok),
            finish_date: finish_date.expect(ok),
            status: status.expect(ok),
            progress: progress.expect(ok).unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> ProjectInput {
        ProjectInput {
            code: "PRJ-1".into(),
            name: "Apollo".into(),
            status: "Active".into(),
            ..ProjectInput::default()
        }
    }

    #[test]
    fn a_minimal_project_is_valid() {
        let d = ProjectDraft::parse(&project()).unwrap();
        assert_eq!(
            (d.code.as_str(), d.budget, d.priority),
            ("PRJ-1", None, None)
        );
    }

    #[test]
    fn every_project_error_at_once() {
        let bad = ProjectInput {
            code: "a b".into(),
            name: "".into(),
            status: "Sleeping".into(),
            manager: Entered::Unreadable,
            start_date: "2026-05-01".into(),
            finish_date: "2026-04-01".into(),
            budget: Entered::Given(-3),
            priority: Entered::Given(9),
            ..ProjectInput::default()
        };
        let e = ProjectDraft::parse(&bad).unwrap_err();
        for f in [
            "code",
            "name",
            "status",
            "manager",
            "finish_date",
            "budget",
            "priority",
        ] {
            assert!(e.get(f).is_some(), "{f}");
        }
    }

    #[test]
    fn phases_check_progress_and_dates() {
        let ok = PhaseInput {
            name: "Design".into(),
            status: "In progress".into(),
            progress: Entered::Given(40),
            ..PhaseInput::default()
        };
        assert_eq!(PhaseDraft::parse(&ok).unwrap().progress, 40);
        let bad = PhaseInput {
            progress: Entered::Given(140),
            start_date: "2026-13-01".into(),
            ..ok
        };
        let e = PhaseDraft::parse(&bad).unwrap_err();
        assert!(e.get("progress").is_some() && e.get("start_date").is_some());
    }
}
