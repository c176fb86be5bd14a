//! The Rust SDK for sluice plugins.
//!
//! A plugin is a type implementing [`Plugin`], exported with [`export_plugin!`]:
//!
//! ```ignore
//! use sluice_plugin_sdk::{export_plugin, Batch, Info, Key, Plugin, Signal};
//!
//! struct Stamp;
//! impl Plugin for Stamp {
//!     fn init(_config: &str) -> Result<Self, String> { Ok(Stamp) }
//!     fn info(&self) -> Info { Info::new("stamp", "0.1.0", &[Signal::Span]) }
//!     fn process(&mut self, batch: &mut Batch<'_>) -> Result<(), String> {
//!         let mut out = batch.column_builder();
//!         for row in 0..batch.len() { out.set_bool(row, true); }
//!         batch.set_column(&Key::record("stamped"), out.finish())
//!     }
//! }
//! export_plugin!(Stamp);
//! ```
//!
//! Every `Batch` method crosses the Wasm boundary once for the whole batch, never once per
//! record, so a plugin that reads three columns and writes one makes four calls per batch.
//! The same plugin type also runs natively against any [`RecordsApi`] implementation, which is
//! how the host benchmarks a plugin against its own Wasm build, and how a plugin's unit tests
//! run it on an in-memory batch ([`testing::TestBatch`]).

mod api;
mod batch;
mod column;
pub mod counters;
pub mod digest;
pub mod testing;
mod types;

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod guest;

pub use api::RecordsApi;
pub use batch::Batch;
pub use column::ColumnBuilder;
pub use types::{
    Column, Destination, Info, Key, PackedStrings, Scope, Signal, TextOrigin, Texts, ValueKind,
};

/// A sluice plugin: built once from its config, then handed batch after batch.
pub trait Plugin: Sized + 'static {
    /// Builds the plugin from its config (a TOML string, empty when none is configured).
    /// The error is shown to the operator verbatim, so name the field that is wrong.
    fn init(config: &str) -> Result<Self, String>;

    /// The plugin's name, version and the signals it wants.
    fn info(&self) -> Info;

    /// Processes one batch. An error is a plugin failure: the host applies the plugin's
    /// failure policy and none of this call's edits take effect.
    fn process(&mut self, batch: &mut Batch<'_>) -> Result<(), String>;
}

impl Info {
    /// Builds an `Info` from borrowed parts.
    pub fn new(name: &str, version: &str, signals: &[Signal]) -> Self {
        Info {
            name: name.to_string(),
            version: version.to_string(),
            signals: signals.to_vec(),
        }
    }
}

/// Exports a [`Plugin`] type as the component's `init` and `process`.
///
/// Expands to nothing outside `wasm32`, so a plugin crate also builds natively as a library.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            ::std::thread_local! {
                static STATE: ::std::cell::RefCell<::std::option::Option<$plugin>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            struct Export;
            impl $crate::guest::bindings::Guest for Export {
                fn init(
                    config: ::std::string::String,
                ) -> ::std::result::Result<$crate::guest::bindings::Info, ::std::string::String>
                {
                    let plugin = <$plugin as $crate::Plugin>::init(&config)?;
                    let info = $crate::guest::info_to_wit($crate::Plugin::info(&plugin));
                    STATE.with(|s| *s.borrow_mut() = ::std::option::Option::Some(plugin));
                    ::std::result::Result::Ok(info)
                }
                fn process(
                    records: $crate::guest::RecordsRef<'_>,
                ) -> ::std::result::Result<(), ::std::string::String> {
                    STATE.with(|s| {
                        let mut state = s.borrow_mut();
                        let plugin = state.as_mut().ok_or_else(|| {
                            ::std::string::String::from("process called before init")
                        })?;
                        let mut api = $crate::guest::GuestRecords::new(records);
                        let mut batch = $crate::Batch::new(&mut api);
                        $crate::Plugin::process(plugin, &mut batch)
                    })
                }
            }
    $crate::guest::bindings::export!(Export with_types_in $crate::guest::bindings);
        };
    };
}
