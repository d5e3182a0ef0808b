pub mod auth;
pub mod health;
pub mod home;
pub mod assets;
pub mod cabinet;
pub mod application;
