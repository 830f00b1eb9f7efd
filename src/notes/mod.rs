//! Shared notes as Yjs documents (SPEC §6).
//!
//! This module is the pure document model: no database, no GraphQL, no async. A [`SharedNote`]
//! wraps a yrs [`Doc`] whose only root is a `Y.Text` named [`ROOT`], with rich text carried as
//! Quill-convention attributes. Offsets are UTF-16 code units so that an index a JavaScript Yjs
//! client computes means the same position here.
//!
//! Every byte string a client sends is hostile until proven otherwise. [`SharedNote::apply_update`]
//! therefore never touches the live document while deciding: it pre-checks the bytes
//! (`wire::check_update`), replays the note plus the update into a scratch document under
//! `catch_unwind`, checks the result, and only then swaps the scratch document in. A refused
//! update leaves the note bit-for-bit as it was.

mod html;
mod wire;

pub use html::{Inline, LineStyle, Span};

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use yrs::types::text::YChange;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    Any, Doc, GetString, OffsetKind, Options, Out, ReadTxn, StateVector, Text, TextRef, Transact,
    Update,
};

use self::wire::ScanError;

/// Name of the note's root `Y.Text`; clients must use the same name (SPEC §6).
pub const ROOT: &str = "content";

/// Largest single update accepted from a client. Keystroke updates are tens of bytes and a
/// whole-document sync of a full note is well under this; anything bigger is abuse.
pub const MAX_UPDATE_BYTES: usize = 256 * 1024;

/// Longest note text, in UTF-16 code units (what JavaScript's `String.length` reports).
pub const MAX_TEXT_UTF16: u32 = 100_000;

/// Largest encoded document we keep growing. Text length alone does not bound storage: a client
/// can pile up formatting markers and tombstones in many small updates.
pub const MAX_STATE_BYTES: usize = 4 * 1024 * 1024;

/// Why a note operation was refused. [`NoteError::message`] is safe to show to end users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteError {
    /// The update (or state vector) is larger than [`MAX_UPDATE_BYTES`].
    TooLarge,
    /// The bytes are not a well-formed Yjs v1 update / state vector.
    Malformed,
    /// The update uses a root other than [`ROOT`], nested types, embeds or sub-documents.
    Unsupported,
    /// The update builds on edits the server has not seen (would leave pending structs).
    MissingDependency,
    /// The text would exceed [`MAX_TEXT_UTF16`] UTF-16 code units.
    TextTooLong,
    /// The stored document would exceed [`MAX_STATE_BYTES`].
    DocumentTooLarge,
    /// A stored state could not be loaded. This is our fault, not the client's.
    Corrupt,
}

impl NoteError {
    /// A sentence for end users; never mentions internals.
    pub fn message(&self) -> &'static str {
        match self {
            NoteError::TooLarge => "The edit is too large.",
            NoteError::Malformed => "The edit is not a valid Yjs v1 update.",
            NoteError::Unsupported => {
                "The edit changes something other than the note's text and formatting."
            }
            NoteError::MissingDependency => {
                "The edit builds on changes the server has not received; resynchronize the note and retry."
            }
            NoteError::TextTooLong => "The note would be longer than 100,000 characters.",
            NoteError::DocumentTooLarge => "The note's edit history has grown too large.",
            NoteError::Corrupt => "The note could not be loaded.",
        }
    }
}

impl fmt::Display for NoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for NoteError {}

impl From<ScanError> for NoteError {
    fn from(e: ScanError) -> Self {
        match e {
            ScanError::Malformed => NoteError::Malformed,
            ScanError::ForeignRoot | ScanError::Unsupported => NoteError::Unsupported,
        }
    }
}

/// Outcome of a successful [`SharedNote::apply_update`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedUpdate {
    /// False when the note already contained everything in the update (e.g. an echo).
    /// Callers can skip bumping the version and publishing an event then.
    pub changed: bool,
    /// The update exactly as merged, to relay to other viewers (SPEC §6 `SharedNoteEdited`).
    pub update: Vec<u8>,
}

/// One shared note: a Yjs document with a single root `Y.Text` named [`ROOT`].
pub struct SharedNote {
    doc: Doc,
    text: TextRef,
}

impl fmt::Debug for SharedNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedNote")
            .field("client_id", &self.doc.client_id())
            .field("text_len", &self.text_len())
            .finish()
    }
}

impl Default for SharedNote {
    fn default() -> Self {
        Self::new()
    }
}

/// A fresh document with our options. A random client id per loaded instance, as Yjs does per
/// `Y.Doc`: server nodes may edit the same note concurrently, and two writers sharing an id
/// would corrupt the document.
fn new_doc(client_id: Option<yrs::ClientID>) -> (Doc, TextRef) {
    let mut options = Options {
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    };
    if let Some(id) = client_id {
        options.client_id = id;
    }
    let doc = Doc::with_options(options);
    let text = doc.get_or_insert_text(ROOT);
    (doc, text)
}

/// Replays a full state we produced ourselves into a fresh document.
fn load(state: &[u8], client_id: Option<yrs::ClientID>) -> Result<(Doc, TextRef), NoteError> {
    let (doc, text) = new_doc(client_id);
    let update = Update::decode_v1(state).map_err(|_| NoteError::Corrupt)?;
    let mut txn = doc.transact_mut();
    txn.apply_update(update).map_err(|_| NoteError::Corrupt)?;
    if txn.has_missing_updates() {
        return Err(NoteError::Corrupt);
    }
    drop(txn);
    Ok((doc, text))
}

/// Runs `f`, turning a panic into `err`. yrs has `unwrap`s, overflow checks and `debug_assert!`s
/// on paths hostile bytes can reach, and `f` only ever works on documents it created itself,
/// so a panic can at worst poison a scratch document we then drop. (The panic hook still logs
/// the panic message.)
fn guarded<T>(err: NoteError, f: impl FnOnce() -> Result<T, NoteError>) -> Result<T, NoteError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(Err(err))
}

impl SharedNote {
    /// An empty note.
    pub fn new() -> Self {
        let (doc, text) = new_doc(None);
        SharedNote { doc, text }
    }

    /// Loads a note from what [`SharedNote::encode_state`] produced.
    ///
    /// Stored states are ours, so the client limits (update size, text length) do not apply:
    /// a note that was valid when saved must stay loadable. The structural pre-check still runs
    /// because storage is not a reason to trust a recursive decoder.
    pub fn from_state(bytes: &[u8]) -> Result<Self, NoteError> {
        wire::check_update(bytes, ROOT).map_err(|_| NoteError::Corrupt)?;
        let (doc, text) = guarded(NoteError::Corrupt, || {
            let (doc, text) = load(bytes, None)?;
            // A stored note may already hold edits by a random id we happened to draw again;
            // editing under it would collide with that history.
            let taken = doc
                .transact()
                .state_vector()
                .contains_client(&doc.client_id());
            if taken {
                load(bytes, None)
            } else {
                Ok((doc, text))
            }
        })?;
        Ok(SharedNote { doc, text })
    }

    /// The full state as a Yjs v1 update, for storage and for clients syncing from nothing.
    pub fn encode_state(&self) -> Vec<u8> {
        self.doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default())
    }

    /// The v1-encoded state vector clients send back as `since`.
    pub fn state_vector(&self) -> Vec<u8> {
        self.doc.transact().state_vector().encode_v1()
    }

    /// The v1 update a client holding state vector `since` lacks; the whole state for `None`.
    pub fn encode_diff(&self, since: Option<&[u8]>) -> Result<Vec<u8>, NoteError> {
        let Some(since) = since else {
            return Ok(self.encode_state());
        };
        if since.len() > MAX_UPDATE_BYTES {
            return Err(NoteError::TooLarge);
        }
        wire::check_state_vector(since).map_err(|_| NoteError::Malformed)?;
        // Decoding only reads our document, so a panic here cannot leave it half-changed.
        guarded(NoteError::Malformed, || {
            let sv = StateVector::decode_v1(since).map_err(|_| NoteError::Malformed)?;
            Ok(self.doc.transact().encode_diff_v1(&sv))
        })
    }

    /// Merges a client's Yjs v1 update, or refuses it and changes nothing.
    ///
    /// Refused: more than [`MAX_UPDATE_BYTES`]; undecodable; any root other than [`ROOT`] or
    /// content other than text/formatting; missing dependencies (the server would have to hold
    /// it as pending, and pending state is invisible yet stored and relayed forever); a text
    /// longer than [`MAX_TEXT_UTF16`]; a document larger than [`MAX_STATE_BYTES`].
    ///
    /// Applying an update already merged is harmless and reports `changed: false`.
    pub fn apply_update(&mut self, update: &[u8]) -> Result<AppliedUpdate, NoteError> {
        if update.len() > MAX_UPDATE_BYTES {
            return Err(NoteError::TooLarge);
        }
        wire::check_update(update, ROOT)?;

        let state = self.encode_state();
        let old_len = self.text_len();
        let client_id = self.doc.client_id();
        let (doc, text, changed) = guarded(NoteError::Malformed, || {
            let (doc, text) = load(&state, Some(client_id))?;
            let decoded = Update::decode_v1(update).map_err(|_| NoteError::Malformed)?;
            let changed = {
                let mut txn = doc.transact_mut();
                txn.apply_update(decoded)
                    .map_err(|_| NoteError::Malformed)?;
                if txn.has_missing_updates() {
                    return Err(NoteError::MissingDependency);
                }
                // Belt and braces over the pre-check: the document must still have one root.
                if txn.root_refs().any(|(name, _)| name != ROOT) {
                    return Err(NoteError::Unsupported);
                }
                txn.has_changes()
            };
            let new_len = text.len(&doc.transact());
            // Shrinking is always allowed, so an over-long note can still be repaired.
            if new_len > MAX_TEXT_UTF16 && new_len > old_len {
                return Err(NoteError::TextTooLong);
            }
            // Encoding is the only exact measure and costs as much as the replay; skip it when
            // the sum of both inputs is already a safe upper bound.
            if state.len() + update.len() > MAX_STATE_BYTES {
                let new_size = doc
                    .transact()
                    .encode_state_as_update_v1(&StateVector::default())
                    .len();
                if new_size > MAX_STATE_BYTES && new_size > state.len() {
                    return Err(NoteError::DocumentTooLarge);
                }
            }
            Ok((doc, text, changed))
        })?;

        // Swap in the document we validated rather than replaying the update a second time:
        // what we checked is exactly what we keep.
        self.doc = doc;
        self.text = text;
        Ok(AppliedUpdate {
            changed,
            update: update.to_vec(),
        })
    }

    /// Makes the text equal `new_text` with one delete and one insert (SPEC §6
    /// `updateSharedNote`), keeping formatting outside the changed span.
    ///
    /// Returns `Ok(None)` when the text is already equal (nothing to store or broadcast),
    /// otherwise the v1 update of that single transaction. The changed span is the minimal one
    /// between the common prefix and the common suffix, measured in whole characters so a
    /// surrogate pair is never split. Inserted text is plain: formatting around the insertion
    /// point is closed before it and reopened after it.
    pub fn replace_text(&mut self, new_text: &str) -> Result<Option<Vec<u8>>, NoteError> {
        let old_text = self.text();
        if old_text == new_text {
            return Ok(None);
        }
        let new_len = utf16_len(new_text);
        if new_len > MAX_TEXT_UTF16 as usize && new_len > utf16_len(&old_text) {
            return Err(NoteError::TextTooLong);
        }

        let prefix: usize = old_text
            .chars()
            .zip(new_text.chars())
            .take_while(|(a, b)| a == b)
            .map(|(c, _)| c.len_utf8())
            .sum();
        let (old_rest, new_rest) = (&old_text[prefix..], &new_text[prefix..]);
        let suffix: usize = old_rest
            .chars()
            .rev()
            .zip(new_rest.chars().rev())
            .take_while(|(a, b)| a == b)
            .map(|(c, _)| c.len_utf8())
            .sum();
        let removed = &old_rest[..old_rest.len() - suffix];
        let inserted = &new_rest[..new_rest.len() - suffix];

        // Both texts are below the limit (or shrinking from a stored over-limit note, which is
        // itself a u32 length), so these fit in u32.
        let index = utf16_len(&old_text[..prefix]) as u32;
        let remove_len = utf16_len(removed) as u32;

        let mut txn = self.doc.transact_mut();
        if remove_len > 0 {
            self.text.remove_range(&mut txn, index, remove_len);
        }
        if !inserted.is_empty() {
            self.text
                .insert_with_attributes(&mut txn, index, inserted, Default::default());
        }
        Ok(Some(txn.encode_update_v1()))
    }

    /// The plain text.
    pub fn text(&self) -> String {
        self.text.get_string(&self.doc.transact())
    }

    /// Text length in UTF-16 code units.
    pub fn text_len(&self) -> u32 {
        self.text.len(&self.doc.transact())
    }

    /// Sanitized HTML from the Quill attributes (see `html.rs` for the mapping).
    pub fn html(&self) -> String {
        self.with_runs(html::render)
    }

    /// The lines with their block structure (headings, lists) and inline formatting, for
    /// layouts other than HTML (the PDF export).
    pub fn outline(&self) -> Vec<(LineStyle, Vec<Span>)> {
        self.with_runs(html::outline)
    }

    fn with_runs<T>(&self, read: impl FnOnce(&[html::Run<'_>]) -> T) -> T {
        let txn = self.doc.transact();
        let diff = self.text.diff(&txn, YChange::identity);
        let runs: Vec<html::Run<'_>> = diff
            .iter()
            .filter_map(|d| match &d.insert {
                Out::Any(Any::String(s)) => Some(html::Run {
                    text: s,
                    attrs: d.attributes.as_deref(),
                }),
                _ => None,
            })
            .collect();
        read(&runs)
    }
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

#[cfg(test)]
mod tests;
