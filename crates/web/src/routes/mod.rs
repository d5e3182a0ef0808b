pub mod admin;
pub mod application;
pub mod assets;
pub mod auth;
pub mod cabinet;
pub mod health;
pub mod home;
pub mod school;
