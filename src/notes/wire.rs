//! Structural pre-check of Yjs v1 updates, run before yrs ever sees the bytes.
//!
//! yrs decodes hostile input with `Result`s almost everywhere, but a few places are not safe to
//! hand attacker bytes to directly:
//!
//! - `Any` values (item content kind 8, sub-document options of kind 9) are decoded recursively
//!   with no depth limit, so a few hundred KiB of nested array tags overflow the stack. A stack
//!   overflow aborts the process and cannot be caught with `catch_unwind`.
//! - Clock arithmetic (`clock + len`) and client ids above 2^53 hit overflow checks and
//!   `debug_assert!`s, i.e. panics.
//!
//! So this walker follows exactly the grammar yrs 0.28's `DecoderV1` reads (same var-int loop,
//! same field order, same content-kind mask), which keeps it byte-aligned with yrs, and admits
//! only what a shared note is made of: strings, formatting markers and tombstones, all parented
//! by the root text `content`. Anything it admits contains no `Any` content at all, so the
//! recursion above is unreachable. It is deliberately stricter than yrs, never looser: whatever
//! it lets through still goes through yrs's own decoder and the checks in `SharedNote`.

/// Why an update was refused by the pre-check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ScanError {
    /// Truncated, trailing bytes, bad var-int, bad UTF-8 or arithmetic overflow.
    Malformed,
    /// Names a root type other than the note's text.
    ForeignRoot,
    /// Content a note never holds: embeds, nested types, sub-documents, map keys, raw values.
    Unsupported,
}

/// Yjs clients use 53-bit ids (JavaScript safe integers); yrs `debug_assert!`s this.
const MAX_CLIENT_ID: u64 = (1 << 53) - 1;

// Block and content tags, as in yrs `block.rs`.
const BLOCK_GC: u8 = 0;
const BLOCK_SKIP: u8 = 10;
const CONTENT_DELETED: u8 = 1;
const CONTENT_STRING: u8 = 4;
const CONTENT_FORMAT: u8 = 6;
const HAS_ORIGIN: u8 = 0b1000_0000;
const HAS_RIGHT_ORIGIN: u8 = 0b0100_0000;
const HAS_PARENT_SUB: u8 = 0b0010_0000;

/// Checks that `bytes` is one complete v1 update whose items all live in the root text named
/// `root` and carry only string, format or deleted content.
pub(super) fn check_update(bytes: &[u8], root: &str) -> Result<(), ScanError> {
    let mut r = Reader { buf: bytes, pos: 0 };
    let clients = r.var_u32()?;
    for _ in 0..clients {
        let blocks = r.var_u32()?;
        r.client()?;
        let mut clock = r.var_u32()?;
        for _ in 0..blocks {
            let len = check_block(&mut r, root)?;
            clock = clock.checked_add(len).ok_or(ScanError::Malformed)?;
        }
    }
    // Delete set.
    let clients = r.var_u32()?;
    for _ in 0..clients {
        r.client()?;
        let ranges = r.var_u32()?;
        for _ in 0..ranges {
            let clock = r.var_u32()?;
            let len = r.var_u32()?;
            clock.checked_add(len).ok_or(ScanError::Malformed)?;
        }
    }
    if r.pos != r.buf.len() {
        return Err(ScanError::Malformed);
    }
    Ok(())
}

/// Checks that `bytes` is exactly one v1 state vector: a count, then (client, clock) pairs.
/// yrs would `debug_assert!` on client ids past 2^53 rather than return an error.
pub(super) fn check_state_vector(bytes: &[u8]) -> Result<(), ScanError> {
    let mut r = Reader { buf: bytes, pos: 0 };
    let clients = r.var_u32()?;
    for _ in 0..clients {
        r.id()?;
    }
    if r.pos != r.buf.len() {
        return Err(ScanError::Malformed);
    }
    Ok(())
}

/// Walks one block and returns the clock length yrs will give it (UTF-16 units for strings).
fn check_block(r: &mut Reader<'_>, root: &str) -> Result<u32, ScanError> {
    // yrs matches the whole info byte for GC/skip and masks with 0b1111 for item content.
    let info = r.u8()?;
    match info {
        BLOCK_SKIP | BLOCK_GC => return r.var_u32(),
        _ => {}
    }
    if info & HAS_ORIGIN != 0 {
        r.id()?;
    }
    if info & HAS_RIGHT_ORIGIN != 0 {
        r.id()?;
    }
    if info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
        // Without origins the parent is written out: either a root name or the id of an item
        // holding a nested type. A note has no nested types, so only the root name is valid.
        if r.var_u32()? != 1 {
            return Err(ScanError::Unsupported);
        }
        if r.string()? != root {
            return Err(ScanError::ForeignRoot);
        }
        if info & HAS_PARENT_SUB != 0 {
            return Err(ScanError::Unsupported);
        }
    }
    match info & 0b1111 {
        CONTENT_DELETED => r.var_u32(),
        CONTENT_STRING => {
            let units = r.string()?.encode_utf16().count();
            u32::try_from(units).map_err(|_| ScanError::Malformed)
        }
        CONTENT_FORMAT => {
            r.string()?; // key
            r.string()?; // JSON value; yrs parses it with serde_json's depth limit
            Ok(1)
        }
        _ => Err(ScanError::Unsupported),
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn u8(&mut self) -> Result<u8, ScanError> {
        let b = *self.buf.get(self.pos).ok_or(ScanError::Malformed)?;
        self.pos += 1;
        Ok(b)
    }

    /// Same loop as yrs `read_var_u32`/`read_var_u64`, so both consume the same bytes; we refuse
    /// anything that does not fit the target width instead of wrapping like yrs does.
    fn var(&mut self) -> Result<u64, ScanError> {
        let mut num: u64 = 0;
        let mut shift: u32 = 0;
        loop {
            let b = self.u8()?;
            let bits = u64::from(b & 0x7f);
            if bits != 0 && (shift >= 64 || bits.leading_zeros() < shift) {
                return Err(ScanError::Malformed);
            }
            if shift < 64 {
                num |= bits << shift;
            }
            shift += 7;
            if b < 0x80 {
                return Ok(num);
            }
            if shift > 70 {
                return Err(ScanError::Malformed);
            }
        }
    }

    fn var_u32(&mut self) -> Result<u32, ScanError> {
        u32::try_from(self.var()?).map_err(|_| ScanError::Malformed)
    }

    fn client(&mut self) -> Result<u64, ScanError> {
        let client = self.var()?;
        if client > MAX_CLIENT_ID {
            return Err(ScanError::Malformed);
        }
        Ok(client)
    }

    fn id(&mut self) -> Result<(), ScanError> {
        self.client()?;
        self.var_u32()?;
        Ok(())
    }

    fn string(&mut self) -> Result<&str, ScanError> {
        let len = self.var_u32()? as usize;
        let end = self.pos.checked_add(len).ok_or(ScanError::Malformed)?;
        let bytes = self.buf.get(self.pos..end).ok_or(ScanError::Malformed)?;
        self.pos = end;
        std::str::from_utf8(bytes).map_err(|_| ScanError::Malformed)
    }
}
