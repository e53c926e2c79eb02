//! What every signed-in page shows around its content: navigation by rights, the user, the
//! CSRF token for the sign-out form, flash messages.

use crate::auth::session::Flash;
use crate::auth::{SignedIn, TypedSession};
use crate::domain::Right;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Webhooks,
    EventTypes,
    Projects,
    PendingOrders,
    ApplicationLog,
    Api,
    Users,
    ApiTokens,
    Inbox,
    Account,
    Home,
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

pub struct Chrome {
    pub user_name: String,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub flashes: Vec<Flash>,
}

/// The areas of the main navigation, each with the right that opens it.
const NAV: [(Area, &str, &str, Right); 9] = [
    (Area::Webhooks, "/webhooks", "Webhooks", Right::ViewWebhooks),
    (
        Area::PendingOrders,
        "/pending-orders",
        "Pending orders",
        Right::ViewPendingOrders,
    ),
    (
        Area::ApplicationLog,
        "/application-log",
        "Application log",
        Right::ViewPendingOrders,
    ),
    (
        Area::EventTypes,
        "/event-types",
        "Event types",
        Right::ViewWebhooks,
    ),
    (
        Area::Projects,
        "/projects",
        "Projects",
        Right::ManageProjects,
    ),
    (Area::Users, "/users", "Users & roles", Right::ManageUsers),
    (
        Area::ApiTokens,
        "/api-tokens",
        "API tokens",
        Right::ManageApiTokens,
    ),
    // Each person's own request catcher, for those who set webhooks up.
    (Area::Inbox, "/inbox", "Inbox", Right::ModifyWebhook),
    // The reference of the REST API, for those who make tokens to use it.
    (Area::Api, "/api", "API", Right::ManageApiTokens),
];

impl Chrome {
    pub fn new(user: &SignedIn, session: &TypedSession, area: Area) -> Self {
        let nav = NAV
            .iter()
            .filter(|(_, _, _, right)| user.can(*right))
            .map(|(a, href, label, _)| NavItem {
                href,
                label,
                current: *a == area,
            })
            .collect();
        Self {
            user_name: user.display_name.clone(),
            csrf: session.csrf_token(),
            nav,
            flashes: session.take_flashes(),
        }
    }

    /// The first area this user may open, for the home page.
    pub fn first_area(user: &SignedIn) -> Option<&'static str> {
        NAV.iter()
            .find(|(_, _, _, right)| user.can(*right))
            .map(|(_, href, _, _)| *href)
    }
}
