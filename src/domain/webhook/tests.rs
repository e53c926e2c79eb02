//! The webhook draft's rules, field by field.

use chrono::NaiveDate;

use super::*;
use crate::domain::catalogue::{ActionFilter, ObjectType};
use crate::domain::ids::ProjectFilterId;

fn input() -> WebhookInput {
    WebhookInput {
        wording: "Notify".into(),
        active: true,
        url: "https://hooks.example.com/{project.id}".into(),
        verb: "POST".into(),
        body: "{payload}".into(),
        event_action: Entered::Given(ActionFilter::All),
        event_object: Entered::Given(ObjectType::Project),
        ..WebhookInput::default()
    }
}

const KNOWN_FILTERS: &[ProjectFilterId] = &[ProjectFilterId::new(7)];

fn rules() -> Rules<'static> {
    Rules {
        https_only: false,
        second_language: None,
        today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        project_filters: KNOWN_FILTERS,
        kept_expiry: None,
    }
}

#[test]
fn a_complete_input_becomes_a_draft() {
    let d = WebhookDraft::parse(&input(), &rules()).unwrap();
    assert_eq!(d.verb, Verb::Post);
    assert_eq!(d.mode, Mode::Asynchronous);
    assert_eq!(d.event.object, ObjectType::Project);
}

#[test]
fn every_error_is_reported_at_once() {
    let bad = WebhookInput {
        wording: " ".into(),
        url: "ftp://x".into(),
        verb: "TRACE".into(),
        in_transaction: true,
        valid_until: "2025-12-31".into(),
        excluded_fields: FieldNames::words("name, nope"),
        ..input()
    };
    let e = WebhookDraft::parse(&bad, &rules()).unwrap_err();
    for field in [
        "wording",
        "url",
        "verb",
        "in_transaction",
        "valid_until",
        "excluded_fields",
    ] {
        assert!(e.get(field).is_some(), "{field}");
    }
}

#[test]
fn body_rules_follow_the_verb() {
    let e = WebhookDraft::parse(
        &WebhookInput {
            body: "".into(),
            ..input()
        },
        &rules(),
    )
    .unwrap_err();
    assert!(
        e.get("body")
            .unwrap()
            .starts_with("Body is required for POST")
    );
    let e = WebhookDraft::parse(
        &WebhookInput {
            verb: "GET".into(),
            ..input()
        },
        &rules(),
    )
    .unwrap_err();
    assert!(e.get("body").unwrap().contains("GET request has no body"));
    assert!(
        WebhookDraft::parse(
            &WebhookInput {
                verb: "DELETE".into(),
                body: "".into(),
                ..input()
            },
            &rules()
        )
        .is_ok()
    );
    let big = "x".repeat(BODY_MAX_BYTES + 1);
    assert!(
        WebhookDraft::parse(
            &WebhookInput {
                body: big,
                ..input()
            },
            &rules()
        )
        .is_err()
    );
}

#[test]
fn a_past_expiry_is_refused_unless_it_is_the_one_kept() {
    let expired = WebhookInput {
        valid_until: "2025-06-30".into(),
        ..input()
    };
    let e = WebhookDraft::parse(&expired, &rules()).unwrap_err();
    assert_eq!(
        e.get("valid_until"),
        Some("The expiry date cannot be in the past.")
    );
    let kept = Rules {
        kept_expiry: NaiveDate::from_ymd_opt(2025, 6, 30),
        ..rules()
    };
    assert!(WebhookDraft::parse(&expired, &kept).is_ok());
    let other = WebhookInput {
        valid_until: "2025-06-29".into(),
        ..input()
    };
    assert!(WebhookDraft::parse(&other, &kept).is_err());
}

#[test]
fn project_filters_fit_the_object() {
    let ok = WebhookInput {
        project_filter: Entered::Given(ProjectFilterId::new(7)),
        ..input()
    };
    assert_eq!(
        WebhookDraft::parse(&ok, &rules())
            .unwrap()
            .event
            .project_filter,
        Some(ProjectFilterId::new(7))
    );
    let unknown = WebhookInput {
        project_filter: Entered::Given(ProjectFilterId::new(8)),
        ..input()
    };
    assert!(WebhookDraft::parse(&unknown, &rules()).is_err());
    let user = WebhookInput {
        project_filter: Entered::Given(ProjectFilterId::new(7)),
        event_object: Entered::Given(ObjectType::User),
        url: "https://e.com/".into(),
        ..input()
    };
    let e = WebhookDraft::parse(&user, &rules()).unwrap_err();
    assert_eq!(
        e.get("event"),
        Some("No project filter can be chosen for User events.")
    );
}

#[test]
fn multilingual_label_is_required_when_on() {
    let r = Rules {
        second_language: Some("fr"),
        ..rules()
    };
    let e = WebhookDraft::parse(&input(), &r).unwrap_err();
    assert_eq!(e.get("second_label"), Some("Wording (fr) is required."));
    let ok = WebhookInput {
        second_label: "Notifier".into(),
        ..input()
    };
    assert_eq!(
        WebhookDraft::parse(&ok, &r)
            .unwrap()
            .second_label
            .as_deref(),
        Some("Notifier")
    );
}

#[test]
fn excluded_fields_read_back_as_they_were_saved() {
    let parsed = FieldNames::parse(
        &FieldNames::words("name budget,name\n"),
        ObjectType::Project,
    )
    .unwrap();
    assert_eq!(parsed.names(), ["name", "budget"]);
    assert_eq!(parsed.to_string(), "name, budget");
    assert_eq!(FieldNames::stored(&parsed.to_string()), parsed);
    assert!(parsed.contains("budget") && !parsed.contains("code"));
    assert!(FieldNames::stored("").is_empty());
}

#[test]
fn a_webhook_is_valid_through_its_last_day() {
    let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
    assert_eq!(Standing::of(true, Some(day(2)), day(2)), Standing::Active);
    assert_eq!(Standing::of(true, Some(day(1)), day(2)), Standing::Expired);
    assert_eq!(
        Standing::of(false, Some(day(9)), day(2)),
        Standing::Inactive
    );
    assert_eq!(Standing::of(false, None, day(2)), Standing::Inactive);
}

#[test]
fn trigger_fields_are_the_objects_and_for_modifications_only() {
    let with = |action: ActionFilter, triggers: &[&str], excluded: &[&str]| WebhookInput {
        event_action: Entered::Given(action),
        trigger_fields: triggers.iter().map(|s| s.to_string()).collect(),
        excluded_fields: excluded.iter().map(|s| s.to_string()).collect(),
        ..input()
    };
    let modify = ActionFilter::Only(crate::domain::catalogue::Action::Modify);
    let create = ActionFilter::Only(crate::domain::catalogue::Action::Create);
    let d = WebhookDraft::parse(
        &with(modify, &["status", "budget", "status"], &[]),
        &rules(),
    )
    .unwrap();
    assert_eq!(d.trigger_fields.names(), ["status", "budget"]);
    assert!(WebhookDraft::parse(&with(ActionFilter::All, &["status"], &[]), &rules()).is_ok());
    let error = |input: WebhookInput| {
        WebhookDraft::parse(&input, &rules())
            .unwrap_err()
            .get("trigger_fields")
            .map(str::to_owned)
    };
    assert!(
        error(with(modify, &["colour"], &[]))
            .unwrap()
            .starts_with("Unknown field “colour” for Project events")
    );
    assert_eq!(
        error(with(create, &["status"], &[])).as_deref(),
        Some("Only when these fields change is for modifications: choose Modify or All actions.")
    );
    assert_eq!(
        error(with(modify, &["status"], &["status"])).as_deref(),
        Some("“status” is excluded from the payload, so its change cannot fire the webhook.")
    );
    // Hookline's own events are never modifications.
    let operational = WebhookInput {
        event_object: Entered::Given(ObjectType::Webhook),
        url: "https://hooks.example.com/".into(),
        ..with(ActionFilter::All, &["wording"], &[])
    };
    assert!(error(operational).is_some());
}
