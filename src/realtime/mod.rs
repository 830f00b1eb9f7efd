//! Live delivery of session events (SPEC §6): the node's event bus (`bus`), the
//! `oneOnOneEvents` subscription (`subscription`), the work its subscribers on one node share
//! (`feed`) and the graphql-transport-ws protocol layer (`ws`) it is served through.

pub mod bus;
pub mod feed;
pub mod subscription;
pub mod ws;
