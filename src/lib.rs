//! StarPunk: a minimal, single-user IndieWeb site that publishes notes with
//! a feed.
//!
//! Data flows one way: `web` (HTTP) and `cli` read and change notes through
//! `store` (SQLite + Markdown files), using the valid values of `domain`;
//! `render` turns notes into HTML, feeds and the sitemap without touching
//! anything else.

pub mod activitypub;
pub mod allocator;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod indieauth_client;
pub mod maintenance;
pub mod media;
pub mod metrics;
pub mod microformats;
pub mod outbound;
pub mod random;
pub mod render;
pub mod startup;
pub mod store;
pub mod web;
pub mod webmention;
pub mod websub;
