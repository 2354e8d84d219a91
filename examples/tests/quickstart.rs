//! Runs the quickstart binary as a newcomer would, on the embedded defaults (no database, no
//! SMTP, no SMPP), and checks that its story still tells what issue 11's "Done when" asks:
//! a selection resend with an answer per id whose double submission changes nothing twice,
//! the seat waitlist moving in order, and the member list with the week's signups.

use std::process::Command;

/// The quickstart's whole output, after checking that it exited successfully (its own
/// `ensure` checks stop it with a non-zero exit code when the library misbehaves).
fn run_quickstart() -> String {
    let dir = std::env::temp_dir().join(format!("invite-quickstart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let out = Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .current_dir(&dir)
        .env_remove("DATABASE_URL")
        .env_remove("SMTP_URL")
        .env_remove("SMPP_URL")
        .output()
        .expect("the quickstart binary runs");
    std::fs::remove_dir_all(&dir).ok();
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the quickstart failed: {stderr}\n{stdout}"
    );
    stdout
}

/// The lines of `text` from the heading that starts with `title` to the next heading.
fn section<'a>(text: &'a str, title: &str) -> Vec<&'a str> {
    let start = text
        .find(&format!("== {title}"))
        .unwrap_or_else(|| panic!("no heading {title:?} in:\n{text}"));
    let rest = &text[start..];
    let end = rest[3..].find("\n== ").map_or(rest.len(), |i| i + 3);
    rest[..end].lines().collect()
}

fn has(lines: &[&str], parts: &[&str]) -> bool {
    lines
        .iter()
        .any(|line| parts.iter().all(|part| line.contains(part)))
}

#[test]
fn issue_11_the_quickstart_shows_a_selection_resend_the_waitlist_and_the_members() {
    let out = run_quickstart();

    // The waitlist: Carol's signup refused for seats puts her in line; more seats that live
    // invitations may still claim move nobody; on Thursday she moves and signs up.
    let signups = section(&out, "4. Invitees sign up");
    assert!(has(
        &signups,
        &["carol@example.com", "refused: seats exhausted"]
    ));
    assert!(has(
        &signups,
        &["1", "carol@example.com", "a seat to sign up"]
    ));
    assert!(has(&signups, &["the dashboard counts 1 waiting"]));
    let tuesday = section(&out, "7. Resend and cancel");
    assert!(has(&tuesday, &["moving the waitlist now moves 0"]));
    let thursday = section(&out, "8. Wednesday and Thursday");
    assert!(has(
        &thursday,
        &["the waitlist moves: carol@example.com: invitation resent"]
    ));
    assert!(has(&thursday, &["resend", "carol@example.com"]));
    assert!(has(&thursday, &["Carol's first link", "LinkSuperseded"]));
    assert!(has(&thursday, &["Carol signs up with the new link"]));
    let dashboard = section(&out, "Dashboard");
    assert!(has(&dashboard, &["waitlist   0 waiting"]));

    // The selection resend: the dialog's figures, an answer per id, the double submission.
    let selection = section(&out, "9. Olga ticks three rows");
    assert!(has(&selection, &["Resend 3 invitations? 2 messages"]));
    let answers: Vec<_> = selection
        .iter()
        .filter(|l| l.contains("resent, now") || l.contains("refused:"))
        .collect();
    assert_eq!(
        answers.len(),
        6,
        "three answers per submission: {answers:?}"
    );
    assert!(answers[..2].iter().all(|l| l.contains("resent, now")));
    assert!(answers[2].contains("ann@example.com") && answers[2].contains("Completed"));
    assert!(
        answers[3..5]
            .iter()
            .all(|l| l.contains("resent too recently"))
    );
    assert!(has(&selection, &["delivers 2 messages"]));

    // The member list, after the signups: the first admin and everyone who signed up.
    let members = section(&out, "Members");
    for (who, how) in [
        ("olga@northwind.example", "added directly"),
        ("ann@example.com", "Olga Petrova"),
        ("Bob@Example.com", "Olga Petrova"),
        ("carol@example.com", "Olga Petrova"),
    ] {
        assert!(has(&members, &[who, how]), "{who} in {members:?}");
    }
}
