//! The organization: companies (tenants) and their settings, users, teams, coaching
//! categories.

pub mod graphql;
pub mod loaders;
pub mod service;
pub mod types;
