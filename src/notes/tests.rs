use std::collections::HashMap;
use std::sync::Arc;

use yrs::types::Attrs;
use yrs::updates::decoder::Decode;
use yrs::{
    Any, ClientID, Doc, GetString, Map, MapPrelim, OffsetKind, Options, ReadTxn, StateVector, Text,
    TextRef, Transact, Update,
};

use super::*;

/// A JavaScript-like peer: its own client id, UTF-16 offsets.
fn peer(id: u64) -> (Doc, TextRef) {
    let doc = Doc::with_options(Options {
        client_id: ClientID::new(id),
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    });
    let text = doc.get_or_insert_text(ROOT);
    (doc, text)
}

fn edit(doc: &Doc, f: impl FnOnce(&mut yrs::TransactionMut<'_>)) -> Vec<u8> {
    let mut txn = doc.transact_mut();
    f(&mut txn);
    txn.encode_update_v1()
}

fn apply_to_peer(doc: &Doc, update: &[u8]) {
    let mut txn = doc.transact_mut();
    txn.apply_update(Update::decode_v1(update).unwrap())
        .unwrap();
}

fn peer_text(doc: &Doc, text: &TextRef) -> String {
    text.get_string(&doc.transact())
}

fn attrs(pairs: &[(&str, Any)]) -> Attrs {
    pairs
        .iter()
        .map(|(k, v)| (Arc::<str>::from(*k), v.clone()))
        .collect::<HashMap<_, _>>()
}

fn note_with(text: &str) -> SharedNote {
    let mut note = SharedNote::new();
    note.replace_text(text).unwrap();
    note
}

/// Asserts `update` is refused with `expected` and that nothing about the note moved.
/// A note made, as a Quill client would, of `runs` typed in order with their attributes.
fn formatted_note(doc: &Doc, text: &TextRef, runs: &[(&str, Attrs)]) -> SharedNote {
    let update = edit(doc, |txn| {
        let mut at = 0;
        for (run, attrs) in runs {
            text.insert_with_attributes(txn, at, run, attrs.clone());
            at += run.encode_utf16().count() as u32;
        }
    });
    let mut note = SharedNote::new();
    note.apply_update(&update).unwrap();
    note
}

fn assert_refused(note: &mut SharedNote, update: &[u8], expected: NoteError) {
    let (text, state, sv) = (note.text(), note.encode_state(), note.state_vector());
    assert_eq!(note.apply_update(update), Err(expected));
    assert_eq!(note.text(), text);
    assert_eq!(note.encode_state(), state);
    assert_eq!(note.state_vector(), sv);
}

/// Fixed-seed LCG (Knuth's MMIX constants); no extra crates for randomness.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn new_note_is_empty() {
    let note = SharedNote::new();
    assert_eq!(note.text(), "");
    assert_eq!(note.html(), "");
    assert_eq!(note.text_len(), 0);
    let restored = SharedNote::from_state(&note.encode_state()).unwrap();
    assert_eq!(restored.text(), "");
}

#[test]
fn state_round_trips() {
    let (doc, text) = peer(7);
    let u = edit(&doc, |txn| {
        text.insert(txn, 0, "Hello world\nsecond line\n");
        text.format(txn, 0, 5, attrs(&[("bold", Any::Bool(true))]));
        text.remove_range(txn, 5, 6); // tombstones must survive the round trip too
    });
    let mut note = SharedNote::new();
    note.apply_update(&u).unwrap();
    note.replace_text("Hello\nsecond line!\n").unwrap();

    let state = note.encode_state();
    let restored = SharedNote::from_state(&state).unwrap();
    assert_eq!(restored.text(), note.text());
    assert_eq!(restored.html(), note.html());
    assert_eq!(restored.state_vector(), note.state_vector());
    assert_eq!(restored.encode_state(), state);
    // A restored note writes under a fresh client id.
    assert_ne!(restored.doc.client_id(), note.doc.client_id());
}

#[test]
fn from_state_refuses_garbage_as_corrupt() {
    assert_eq!(
        SharedNote::from_state(&[1, 2, 3]).unwrap_err(),
        NoteError::Corrupt
    );
}

#[test]
fn peers_converge() {
    let mut note = note_with("shared base");
    let (doc, text) = peer(11);
    apply_to_peer(&doc, &note.encode_state());

    // Concurrent edits on both sides.
    let from_peer = edit(&doc, |txn| text.insert(txn, 0, ">> "));
    let from_note = note.replace_text("shared base, edited").unwrap().unwrap();

    let applied = note.apply_update(&from_peer).unwrap();
    assert!(applied.changed);
    assert_eq!(applied.update, from_peer);
    apply_to_peer(&doc, &from_note);

    assert_eq!(note.text(), ">> shared base, edited");
    assert_eq!(peer_text(&doc, &text), note.text());
    assert_eq!(
        doc.transact().state_vector().encode_v1(),
        note.state_vector()
    );
}

#[test]
fn applying_twice_is_harmless() {
    let (doc, text) = peer(12);
    let u = edit(&doc, |txn| text.insert(txn, 0, "once"));
    let mut note = SharedNote::new();
    assert!(note.apply_update(&u).unwrap().changed);
    let state = note.encode_state();
    let again = note.apply_update(&u).unwrap();
    assert!(!again.changed);
    assert_eq!(note.text(), "once");
    assert_eq!(note.encode_state(), state);

    // A delete-only update, echoed back, is also a no-op the second time.
    let del = edit(&doc, |txn| text.remove_range(txn, 0, 1));
    assert!(note.apply_update(&del).unwrap().changed);
    assert!(!note.apply_update(&del).unwrap().changed);
    assert_eq!(note.text(), "nce");
}

#[test]
fn replace_text_with_no_change_returns_none() {
    let mut note = note_with("same");
    let sv = note.state_vector();
    assert_eq!(note.replace_text("same"), Ok(None));
    assert_eq!(note.state_vector(), sv);
}

#[test]
fn replace_text_produces_update_peers_can_apply() {
    let mut note = SharedNote::new();
    let (doc, text) = peer(13);
    for target in ["abc", "abXc", "Xc", "", "new text", "new  text!", "text"] {
        let u = note.replace_text(target).unwrap().unwrap();
        assert_eq!(note.text(), target);
        apply_to_peer(&doc, &u);
        assert_eq!(peer_text(&doc, &text), target);
    }
}

#[test]
fn non_bmp_positions_are_utf16() {
    // A JS peer inserts at UTF-16 index 3: after "a" (1) and the emoji (2).
    let mut note = note_with("a😀b");
    assert_eq!(note.text_len(), 4);
    let (doc, text) = peer(14);
    apply_to_peer(&doc, &note.encode_state());
    let u = edit(&doc, |txn| text.insert(txn, 3, "X"));
    note.apply_update(&u).unwrap();
    assert_eq!(note.text(), "a😀Xb");

    // replace_text at the same spot, echoed to the peer.
    let u = note.replace_text("a😀XYb").unwrap().unwrap();
    apply_to_peer(&doc, &u);
    assert_eq!(peer_text(&doc, &text), "a😀XYb");

    // 😀 (D83D DE00) → 😁 (D83D DE01) share the high surrogate; the diff must not keep it
    // alone as a "common prefix".
    let u = note.replace_text("a😁XYb").unwrap().unwrap();
    assert_eq!(note.text(), "a😁XYb");
    apply_to_peer(&doc, &u);
    assert_eq!(peer_text(&doc, &text), "a😁XYb");

    // Insert between two emoji and delete one emoji from a peer.
    let u = note.replace_text("😀😁").unwrap().unwrap();
    apply_to_peer(&doc, &u);
    let u = edit(&doc, |txn| text.insert(txn, 2, "|"));
    note.apply_update(&u).unwrap();
    assert_eq!(note.text(), "😀|😁");
    let u = edit(&doc, |txn| text.remove_range(txn, 3, 2));
    note.apply_update(&u).unwrap();
    assert_eq!(note.text(), "😀|");
}

#[test]
fn replace_text_inserts_plain_text_inside_formatting() {
    let (doc, text) = peer(15);
    let u = edit(&doc, |txn| {
        text.insert_with_attributes(txn, 0, "hello world", attrs(&[("bold", Any::Bool(true))]));
    });
    let mut note = SharedNote::new();
    note.apply_update(&u).unwrap();
    let u = note.replace_text("hello big world").unwrap().unwrap();
    assert_eq!(
        note.html(),
        "<p><strong>hello </strong>big <strong>world</strong></p>"
    );
    apply_to_peer(&doc, &u);
    assert_eq!(peer_text(&doc, &text), "hello big world");
}

#[test]
fn refuses_malformed_and_truncated_updates() {
    let mut note = note_with("keep me");
    assert_refused(&mut note, &[0xff, 0xff, 0xff], NoteError::Malformed);
    assert_refused(&mut note, &[], NoteError::Malformed);

    let (doc, text) = peer(16);
    apply_to_peer(&doc, &note.encode_state());
    let u = edit(&doc, |txn| text.insert(txn, 4, " all of"));
    for cut in 1..u.len() {
        assert!(note.apply_update(&u[..cut]).is_err(), "cut at {cut}");
    }
    assert_refused(&mut note, &u[..u.len() - 1], NoteError::Malformed);
    let mut trailing = u.clone();
    trailing.push(0);
    assert_refused(&mut note, &trailing, NoteError::Malformed);
    assert_eq!(note.text(), "keep me");
    note.apply_update(&u).unwrap();
    assert_eq!(note.text(), "keep all of me");
}

#[test]
fn refuses_oversized_update() {
    let mut note = note_with("small");
    assert_refused(
        &mut note,
        &vec![0u8; MAX_UPDATE_BYTES + 1],
        NoteError::TooLarge,
    );
}

#[test]
fn refuses_other_roots() {
    let mut note = note_with("mine");

    let (doc, _) = peer(17);
    let map = doc.get_or_insert_map("evil");
    let u = edit(&doc, |txn| {
        map.insert(txn, "k", "v");
    });
    assert_refused(&mut note, &u, NoteError::Unsupported);

    let (doc, _) = peer(18);
    let other = doc.get_or_insert_text("other");
    let u = edit(&doc, |txn| other.insert(txn, 0, "sneaky"));
    assert_refused(&mut note, &u, NoteError::Unsupported);

    // Mixed: a legitimate edit riding along with a foreign root is refused as a whole.
    let (doc, text) = peer(19);
    let other = doc.get_or_insert_array("list");
    let u = edit(&doc, |txn| {
        text.insert(txn, 0, "fine ");
        yrs::Array::push_back(&other, txn, 1);
    });
    assert_refused(&mut note, &u, NoteError::Unsupported);
}

#[test]
fn refuses_embeds_and_nested_types() {
    let mut note = note_with("text");
    let (doc, text) = peer(20);
    apply_to_peer(&doc, &note.encode_state());

    let u = edit(&doc, |txn| {
        text.insert_embed(txn, 0, Any::from("image.png"));
    });
    assert_refused(&mut note, &u, NoteError::Unsupported);

    let (doc, text) = peer(21);
    let u = edit(&doc, |txn| {
        text.insert_embed(txn, 0, MapPrelim::default());
    });
    assert_refused(&mut note, &u, NoteError::Unsupported);
}

#[test]
fn refuses_updates_with_missing_dependencies() {
    let mut note = note_with("base");
    let (doc, text) = peer(22);
    let first = edit(&doc, |txn| text.insert(txn, 0, "abc"));
    let second = edit(&doc, |txn| text.insert(txn, 3, "def"));
    assert_refused(&mut note, &second, NoteError::MissingDependency);

    // A delete of something we never received would be parked as a pending delete set.
    let delete = edit(&doc, |txn| text.remove_range(txn, 1, 1));
    assert_refused(&mut note, &delete, NoteError::MissingDependency);

    // In order, all three apply.
    note.apply_update(&first).unwrap();
    note.apply_update(&second).unwrap();
    note.apply_update(&delete).unwrap();
    assert_eq!(peer_text(&doc, &text), "acdef");
    assert!(note.text().contains("acdef"), "{}", note.text());
    assert!(note.text().contains("base"));
}

#[test]
fn refuses_text_over_the_limit() {
    let limit = MAX_TEXT_UTF16 as usize;
    let mut note = SharedNote::new();
    assert_eq!(
        note.replace_text(&"x".repeat(limit + 1)),
        Err(NoteError::TextTooLong)
    );
    // Counted in UTF-16: 50,001 emoji are 100,002 units.
    assert_eq!(
        note.replace_text(&"😀".repeat(limit / 2 + 1)),
        Err(NoteError::TextTooLong)
    );
    assert_eq!(note.text(), "");
    note.replace_text(&"x".repeat(limit)).unwrap().unwrap();
    assert_eq!(note.text_len(), MAX_TEXT_UTF16);

    let (doc, text) = peer(23);
    apply_to_peer(&doc, &note.encode_state());
    let u = edit(&doc, |txn| text.insert(txn, 0, "y"));
    assert_refused(&mut note, &u, NoteError::TextTooLong);
    // Shrinking still works (skipping the refused "y", which the note never got).
    let u = edit(&doc, |txn| text.remove_range(txn, 1, 10));
    note.apply_update(&u).unwrap();
    assert_eq!(note.text_len(), MAX_TEXT_UTF16 - 10);
}

#[test]
fn html_renders_quill_attributes() {
    let (doc, text) = peer(24);
    let plain = Attrs::new();
    let runs: Vec<(&str, Attrs)> = vec![
        ("Title", plain.clone()),
        ("\n", attrs(&[("header", Any::from(2))])),
        ("Hello ", plain.clone()),
        ("bold", attrs(&[("bold", Any::Bool(true))])),
        (" ", plain.clone()),
        ("it", attrs(&[("italic", Any::Bool(true))])),
        (" ", plain.clone()),
        (
            "u",
            attrs(&[("underline", Any::Bool(true)), ("strike", Any::Bool(true))]),
        ),
        (" ", plain.clone()),
        ("x()", attrs(&[("code", Any::Bool(true))])),
        (" ", plain.clone()),
        (
            "site",
            attrs(&[("link", Any::from("https://example.com/?a=1&b=2"))]),
        ),
        ("\n", plain.clone()),
        ("one", plain.clone()),
        ("\n", attrs(&[("list", Any::from("bullet"))])),
        ("two", plain.clone()),
        ("\n", attrs(&[("list", Any::from("bullet"))])),
        ("first", plain.clone()),
        ("\n", attrs(&[("list", Any::from("ordered"))])),
        ("<script>alert(1)</script>", plain.clone()),
        ("\n", plain.clone()),
        (
            "click",
            attrs(&[("link", Any::from("javascript:alert(1)"))]),
        ),
        ("\n", plain.clone()),
        ("tail", plain.clone()),
    ];
    let note = formatted_note(&doc, &text, &runs);
    assert_eq!(
        note.html(),
        concat!(
            "<h2>Title</h2>",
            "<p>Hello <strong>bold</strong> <em>it</em> <u><s>u</s></u> <code>x()</code> ",
            "<a href=\"https://example.com/?a=1&amp;b=2\" rel=\"noopener noreferrer\">site</a></p>",
            "<ul><li>one</li><li>two</li></ul>",
            "<ol><li>first</li></ol>",
            "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
            "<p>click</p>",
            "<p>tail</p>",
        )
    );
    assert!(!note.html().contains("javascript"));
}

#[test]
fn outline_keeps_headings_and_lists_and_numbers_each_list_from_one() {
    let (doc, text) = peer(25);
    let plain = Attrs::new();
    let ordered = attrs(&[("list", Any::from("ordered"))]);
    let runs: Vec<(&str, Attrs)> = vec![
        ("Agenda", plain.clone()),
        ("\n", attrs(&[("header", Any::from(1))])),
        ("Hello ", plain.clone()),
        ("bold", attrs(&[("bold", Any::Bool(true))])),
        (" ", plain.clone()),
        (
            "docs",
            attrs(&[
                ("italic", Any::Bool(true)),
                ("link", Any::from("https://example.com/kb")),
            ]),
        ),
        (" ", plain.clone()),
        ("trap", attrs(&[("link", Any::from("javascript:alert(1)"))])),
        ("\n", plain.clone()),
        ("one", plain.clone()),
        ("\n", attrs(&[("list", Any::from("bullet"))])),
        ("first", plain.clone()),
        ("\n", ordered.clone()),
        ("second", plain.clone()),
        ("\n", ordered.clone()),
        ("between", plain.clone()),
        ("\n", plain.clone()),
        ("again", plain.clone()),
        ("\n", ordered.clone()),
        ("tail", plain.clone()),
    ];
    let note = formatted_note(&doc, &text, &runs);
    let expected: Vec<(LineStyle, String)> = [
        (LineStyle::Heading, "Agenda"),
        (LineStyle::Paragraph, "Hello bold docs trap"),
        (LineStyle::Bullet, "one"),
        (LineStyle::Numbered(1), "first"),
        (LineStyle::Numbered(2), "second"),
        (LineStyle::Paragraph, "between"),
        (LineStyle::Numbered(1), "again"),
        (LineStyle::Paragraph, "tail"),
    ]
    .into_iter()
    .map(|(style, line)| (style, line.to_owned()))
    .collect();
    let outline = note.outline();
    let lines: Vec<(LineStyle, String)> = outline
        .iter()
        .map(|(style, spans)| {
            (
                style.clone(),
                spans.iter().map(|s| s.text.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(lines, expected);

    // Inline formatting rides along; a link of a scheme not allowed keeps only its text.
    let formats: Vec<(&str, &Inline)> = outline[1]
        .1
        .iter()
        .map(|span| (span.text.as_str(), &span.format))
        .collect();
    let plain = Inline::default();
    let bold = Inline {
        bold: true,
        ..Inline::default()
    };
    let link = Inline {
        italic: true,
        link: Some("https://example.com/kb".into()),
        ..Inline::default()
    };
    assert_eq!(
        formats,
        [
            ("Hello ", &plain),
            ("bold", &bold),
            (" ", &plain),
            ("docs", &link),
            (" ", &plain),
            ("trap", &plain),
        ]
    );
}

#[test]
fn html_sanitizes_whatever_gets_through() {
    // Attribute values are attacker-chosen: quotes in an allowed-scheme href must not break
    // out of the attribute, and non-string links or odd header values are ignored.
    let (doc, text) = peer(25);
    let u = edit(&doc, |txn| {
        text.insert_with_attributes(
            txn,
            0,
            "x",
            attrs(&[("link", Any::from("https://a.example/\" onclick=\"alert(1)"))]),
        );
        text.insert_with_attributes(txn, 1, "y", attrs(&[("link", Any::Bool(true))]));
        text.insert_with_attributes(txn, 2, "\n", attrs(&[("header", Any::from(9))]));
        text.insert_with_attributes(txn, 3, "m", attrs(&[("link", Any::from("MAILTO:a@b.c"))]));
        text.insert_with_attributes(txn, 4, "r", attrs(&[("link", Any::from("/relative"))]));
    });
    let mut note = SharedNote::new();
    note.apply_update(&u).unwrap();
    let html = note.html();
    assert!(!html.contains("onclick=\""), "{html}");
    assert!(
        html.starts_with("<p><a href=\"https://a.example/&quot; onclick=&quot;alert(1)\" rel="),
        "{html}"
    );
    assert!(html.contains(">x</a>y</p>"), "{html}");
    assert!(
        html.contains("<a href=\"MAILTO:a@b.c\" rel=\"noopener noreferrer\">m</a>r</p>"),
        "{html}"
    );
}

#[test]
fn diff_since_state_vector_is_only_the_missing_part() {
    let mut note = note_with("first part");
    let (doc, text) = peer(26);
    apply_to_peer(&doc, &note.encode_state());
    let old_sv = doc.transact().state_vector().encode_v1();

    note.replace_text("first part, then second part").unwrap();
    let diff = note.encode_diff(Some(&old_sv)).unwrap();
    let full = note.encode_diff(None).unwrap();
    assert_eq!(full, note.encode_state());
    assert!(diff.len() < full.len());

    // The diff does not re-send what the peer has: it converges the peer...
    apply_to_peer(&doc, &diff);
    assert_eq!(peer_text(&doc, &text), "first part, then second part");
    // ...and alone (on an empty doc) it dangles, because it lacks the first part.
    let (fresh, _) = peer(27);
    let mut txn = fresh.transact_mut();
    txn.apply_update(Update::decode_v1(&diff).unwrap()).unwrap();
    assert!(txn.has_missing_updates());
    drop(txn);

    // Up to date → empty diff that changes nothing.
    let none = note.encode_diff(Some(&note.state_vector())).unwrap();
    assert!(!note.apply_update(&none).unwrap().changed);

    assert_eq!(
        note.encode_diff(Some(&[0xff; 12])),
        Err(NoteError::Malformed)
    );
    assert_eq!(
        note.encode_diff(Some(&vec![0; MAX_UPDATE_BYTES + 1])),
        Err(NoteError::TooLarge)
    );
    let empty_sv = StateVector::default().encode_v1();
    assert_eq!(note.encode_diff(Some(&empty_sv)).unwrap(), full);
}

#[test]
fn refuses_deeply_nested_any_without_recursing() {
    // Content kind 8 (Any) holding 100k nested one-element arrays: decoding this recursively
    // would overflow the stack, which no catch_unwind can stop.
    let mut u = vec![1, 1, 1, 0, 8, 1, 7];
    u.extend_from_slice(b"content");
    u.push(1);
    for _ in 0..100_000 {
        u.extend_from_slice(&[117, 1]);
    }
    u.extend_from_slice(&[126, 0]);
    let mut note = note_with("calm");
    assert_refused(&mut note, &u, NoteError::Unsupported);
}

#[test]
fn refuses_clock_overflow_and_oversized_client_ids() {
    let mut note = note_with("calm");
    // One string block "ab" starting at clock u32::MAX: clock + len overflows.
    let mut u = vec![1, 1, 1];
    u.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    u.extend_from_slice(&[4, 1, 7]);
    u.extend_from_slice(b"content");
    u.extend_from_slice(&[2, b'a', b'b', 0]);
    assert_refused(&mut note, &u, NoteError::Malformed);

    // Client id 2^60 (JS ids are at most 2^53).
    let mut u = vec![1, 1];
    u.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]);
    u.extend_from_slice(&[0, 4, 1, 7]);
    u.extend_from_slice(b"content");
    u.extend_from_slice(&[1, b'a', 0]);
    assert_refused(&mut note, &u, NoteError::Malformed);

    // Delete-set range overflowing the clock.
    let u = vec![0, 1, 1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 2];
    assert_refused(&mut note, &u, NoteError::Malformed);
}

#[test]
fn random_garbage_never_panics() {
    let mut rng = Lcg(0x5eed_1234_abcd_0001);
    let mut note = note_with("stable text");
    let (doc, text) = peer(28);
    apply_to_peer(&doc, &note.encode_state());
    let valid = edit(&doc, |txn| {
        text.insert(txn, 3, "inserted");
        text.format(txn, 0, 4, attrs(&[("bold", Any::Bool(true))]));
        text.remove_range(txn, 12, 2);
    });
    let state = note.encode_state();

    for round in 0..600 {
        let bytes: Vec<u8> = if round % 2 == 0 {
            // Pure noise, sometimes starting like a plausible header.
            let len = rng.below(96) as usize;
            let mut b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            if round % 4 == 0 && b.len() > 3 {
                b[0] = 1;
                b[1] = 1;
            }
            b
        } else {
            // A valid update with a few bytes flipped, truncated or extended.
            let mut b = valid.clone();
            for _ in 0..=rng.below(3) {
                let i = rng.below(b.len() as u64) as usize;
                b[i] = rng.next() as u8;
            }
            if rng.below(4) == 0 {
                b.truncate(rng.below(b.len() as u64) as usize);
            }
            b
        };
        match note.apply_update(&bytes) {
            Ok(_) => {
                // Accepted mutants are genuine edits; start over from the known state.
                note = SharedNote::from_state(&state).unwrap();
            }
            Err(_) => assert_eq!(note.encode_state(), state, "round {round}"),
        }
        let _ = note.encode_diff(Some(&bytes));
        let _ = SharedNote::from_state(&bytes);
    }
    note.apply_update(&valid).unwrap();
    assert_eq!(note.text(), peer_text(&doc, &text));
}

#[test]
fn errors_have_user_messages() {
    for e in [
        NoteError::TooLarge,
        NoteError::Malformed,
        NoteError::Unsupported,
        NoteError::MissingDependency,
        NoteError::TextTooLong,
        NoteError::DocumentTooLarge,
        NoteError::Corrupt,
    ] {
        assert!(!e.message().is_empty());
        assert_eq!(e.to_string(), e.message());
    }
}

#[test]
fn note_offsets_are_utf16_in_stored_state() {
    // A note loaded from storage keeps UTF-16 offsets (the option is not part of the state).
    let note = note_with("😀");
    let restored = SharedNote::from_state(&note.encode_state()).unwrap();
    assert_eq!(restored.text_len(), 2);
    assert_eq!(restored.doc.offset_kind(), OffsetKind::Utf16);
    assert!(
        restored
            .doc
            .transact()
            .root_refs()
            .all(|(name, _)| name == ROOT)
    );
}

#[test]
fn note_can_cross_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SharedNote>();
    assert_send_sync::<NoteError>();
    assert_send_sync::<AppliedUpdate>();
}
