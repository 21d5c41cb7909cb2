//! Where the RMT releases RmtRs knows behave differently in what RmtRs does.
//! The host decides which behaviour the running app has from the fingerprints
//! of the code that differs (`RmtRs::Ownership::Release`), never from a version
//! string; the default is RMT 2.28's.

/// The behaviour of the running RMT where releases differ.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Release {
    /// RMT 2.26 and 2.27 refuse a product whose service has no repositories
    /// (`check_product_service_and_repositories`:
    /// `@product.service && @product.repositories.present?`), as if it had no
    /// service; 2.28 looks at the service alone.
    pub repositories_required: bool,
}
