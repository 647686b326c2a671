//! Integration tests: the real application on port 0 with a temporary data
//! folder, driven over HTTP and through the `starpunk` binary.

mod admin;
mod backup;
mod cli;
mod conditional_get;
mod damage;
mod durability;
mod export;
mod fake_hub;
mod fake_indieauth;
mod feed;
mod feed_formats;
mod health;
mod helpers;
mod hostile_corpus;
mod hostile_http;
mod import_starpunk;
mod indieauth_client;
mod indieauth_server;
mod link_previews;
mod media_auth;
mod media_support;
mod media_variants;
mod micropub;
mod micropub_media;
mod negotiation;
mod owner;
mod pages;
mod properties;
mod search;
mod settings;
mod sign_in;
mod sitemap;
mod storage;
mod tags;
mod websub;
