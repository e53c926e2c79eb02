//! The home page sends people to the first area they may use.

use actix_web::HttpResponse;
use askama::Template;

use super::{Area, Chrome};
use crate::auth::{CurrentUser, TypedSession};
use crate::error::{AppError, redirect};

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    chrome: Chrome,
}

pub async fn home(user: CurrentUser, session: TypedSession) -> Result<HttpResponse, AppError> {
    match Chrome::first_area(&user) {
        Some(href) => Ok(redirect(href)),
        None => super::page(&Home {
            chrome: Chrome::new(&user, &session, Area::Home),
        }),
    }
}
