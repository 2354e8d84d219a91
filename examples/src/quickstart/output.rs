//! The story's output and small helpers: headings, aligned tables, dates in the
//! organizations' time zone, and the checks that stop the run when the library misbehaves.

use crate::Res;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use invite_core::{ClientGrant, Error, Language, Notification, OrgId, Refusal, Role};

/// The organizations' time zone: reminders go out at 10:00 here, and dates are shown here.
pub(crate) const ZONE: Tz = chrono_tz::Europe::Moscow;
/// The link of a message for display, its token cut to a short prefix: a secret never goes
/// whole into a log (R7.4).
pub(crate) fn short_link(n: &Notification) -> String {
    match &n.signup_url {
        None => "(no link: already signed up)".to_owned(),
        Some(url) => {
            let url = url.expose();
            let end = url
                .find("token=")
                .map_or(url.len(), |i| i + "token=".len() + 6);
            format!("{}…", &url[..end.min(url.len())])
        }
    }
}

/// The language code a message carries.
pub(crate) fn language(language: Language) -> &'static str {
    match language {
        Language::En => "en",
        Language::Ru => "ru",
    }
}

/// A role on a client organization, for an MSP user's access.
pub(crate) fn grant(client: OrgId, role: Role) -> ClientGrant {
    ClientGrant { client, role }
}

/// An instant given as March 2026 day, hour and minute in Moscow.
pub(crate) fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    let local = ZONE.with_ymd_and_hms(2026, 3, day, hour, minute, 0);
    local
        .single()
        .expect("Moscow has no clock changes")
        .to_utc()
}

/// A calendar day, refused if there is no such day.
pub(crate) fn day(year: i32, month: u32, day: u32) -> Res<NaiveDate> {
    Ok(NaiveDate::from_ymd_opt(year, month, day).ok_or("no such day")?)
}

/// An instant as the organization's admins read it.
pub(crate) fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&ZONE).format("%a %d %b %H:%M").to_string()
}

/// The refusal a step is expected to meet. Success, another refusal or any other error stops
/// the story.
pub(crate) fn refused<T>(
    result: Result<T, Error>,
    expected: impl Fn(&Refusal) -> bool,
) -> Res<Refusal> {
    match result {
        Err(Error::Refused(r)) if expected(&r) => Ok(r),
        Err(e) => Err(format!("unexpected error: {e}").into()),
        Ok(_) => Err("expected a refusal, but the step succeeded".into()),
    }
}

/// Stops the story when something did not go as told.
pub(crate) fn ensure(ok: bool, what: &str) -> Res {
    if ok {
        Ok(())
    } else {
        Err(format!("unexpected: {what}").into())
    }
}

/// Prints a chapter's heading.
pub(crate) fn heading(title: &str) {
    println!("\n== {title}");
}

/// Prints rows under a header, in aligned columns.
pub(crate) fn table<const N: usize>(
    header: [&str; N],
    rows: impl IntoIterator<Item = [String; N]>,
) {
    let rows: Vec<[String; N]> = rows.into_iter().collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let print = |cells: [&str; N]| {
        let padded: Vec<String> = (cells.iter().zip(&widths))
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("  {}", padded.join("  ").trim_end());
    };
    print(header);
    for row in &rows {
        print(row.each_ref().map(String::as_str));
    }
    if rows.is_empty() {
        println!("  (none)");
    }
}
