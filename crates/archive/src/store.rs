//! Opening an archive by URL and reading and writing its objects, with errors that name the
//! object.
//!
//! URLs: a plain path or `file:///abs/path` (a directory, object_store's `LocalFileSystem`:
//! each write goes to a temporary file renamed into place, so a reader never sees half an
//! object), and `s3://bucket/prefix` (object_store's `AmazonS3`, with the `aws` feature).
//! S3 settings come from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_REGION`, `AWS_ENDPOINT` for S3-compatible servers, `AWS_ALLOW_HTTP`), then from the
//! options passed to [`Archive::open`], which win.

use std::sync::Arc;

use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

/// Why an archive URL does not open.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Not a URL or path this code understands.
    #[error("{url}: not an archive URL (a path, file:///path or s3://bucket/prefix): {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// Why.
        reason: String,
    },
    /// An `s3://` URL in a build without the `aws` feature.
    #[error("{url}: this build has no S3 support (mcnode-archive's `aws` feature)")]
    NoS3 {
        /// The URL as given.
        url: String,
    },
    /// A local archive directory that does not exist (reading) or cannot be made (writing).
    #[error("{path}: {source}")]
    Dir {
        /// The directory.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The object store refused its configuration.
    #[error("{url}: {source}")]
    Store {
        /// The URL as given.
        url: String,
        /// What object_store said.
        #[source]
        source: object_store::Error,
    },
}

/// A failed read or write of one object.
#[derive(Debug, thiserror::Error)]
#[error("{object}: {source}")]
pub struct StoreError {
    /// The object's full location (archive URL + name).
    pub object: String,
    /// What the store said.
    #[source]
    pub source: object_store::Error,
}

/// An open archive: a store and the prefix the archive lives under.
#[derive(Clone, Debug)]
pub struct Archive {
    store: Arc<dyn ObjectStore>,
    root: Path,
    url: String,
}

impl Archive {
    /// Opens the archive at `url` for reading; a local directory must exist.
    pub fn open(url: &str, options: &[(String, String)]) -> Result<Archive, OpenError> {
        Self::open_inner(url, options, false)
    }

    /// Opens the archive at `url` for writing; a local directory is created if missing.
    pub fn create(url: &str, options: &[(String, String)]) -> Result<Archive, OpenError> {
        Self::open_inner(url, options, true)
    }

    fn open_inner(
        url: &str,
        options: &[(String, String)],
        create: bool,
    ) -> Result<Archive, OpenError> {
        let bad = |reason: String| OpenError::BadUrl { url: url.to_string(), reason };
        if let Some(rest) = url.strip_prefix("s3://") {
            return Self::open_s3(url, rest, options);
        }
        let dir = match url.strip_prefix("file://") {
            Some(p) if p.starts_with('/') => p.to_string(),
            Some(_) => return Err(bad("a file URL needs an absolute path (file:///...)".into())),
            None if url.contains("://") => return Err(bad("unknown scheme".into())),
            None => url.to_string(),
        };
        if dir.is_empty() {
            return Err(bad("empty path".into()));
        }
        let dir_err = |source| OpenError::Dir { path: dir.clone(), source };
        if create {
            std::fs::create_dir_all(&dir).map_err(dir_err)?;
        } else if !std::path::Path::new(&dir).is_dir() {
            let e = std::io::Error::new(std::io::ErrorKind::NotFound, "no such archive directory");
            return Err(dir_err(e));
        }
        let fs = object_store::local::LocalFileSystem::new_with_prefix(&dir)
            .map_err(|source| OpenError::Store { url: url.to_string(), source })?;
        Ok(Archive { store: Arc::new(fs), root: Path::default(), url: url.to_string() })
    }

    #[cfg(feature = "aws")]
    fn open_s3(url: &str, rest: &str, options: &[(String, String)]) -> Result<Archive, OpenError> {
        use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(OpenError::BadUrl { url: url.into(), reason: "no bucket".into() });
        }
        let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
        for (k, v) in options {
            let key: AmazonS3ConfigKey =
                k.parse().map_err(|source| OpenError::Store { url: url.to_string(), source })?;
            b = b.with_config(key, v);
        }
        let s3 = b.build().map_err(|source| OpenError::Store { url: url.to_string(), source })?;
        let root = Path::parse(prefix.trim_end_matches('/'))
            .map_err(|e| OpenError::BadUrl { url: url.into(), reason: e.to_string() })?;
        Ok(Archive { store: Arc::new(s3), root, url: url.to_string() })
    }

    #[cfg(not(feature = "aws"))]
    fn open_s3(url: &str, _: &str, _: &[(String, String)]) -> Result<Archive, OpenError> {
        Err(OpenError::NoS3 { url: url.to_string() })
    }

    /// The URL the archive was opened with.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The full location of object `name`, for messages.
    pub fn describe(&self, name: &str) -> String {
        format!("{}/{name}", self.url.trim_end_matches('/'))
    }

    fn path(&self, name: &str) -> Path {
        name.split('/').fold(self.root.clone(), |p, part| p.join(part))
    }

    fn err(&self, name: &str) -> impl Fn(object_store::Error) -> StoreError + '_ {
        let object = self.describe(name);
        move |source| StoreError { object: object.clone(), source }
    }

    /// The bytes of object `name`, or `None` if it does not exist.
    pub async fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let got = match self.store.get(&self.path(name)).await {
            Ok(g) => g,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.err(name)(e)),
        };
        Ok(Some(got.bytes().await.map_err(self.err(name))?.to_vec()))
    }

    /// The size of object `name`, or `None` if it does not exist.
    pub async fn size(&self, name: &str) -> Result<Option<u64>, StoreError> {
        match self.store.head(&self.path(name)).await {
            Ok(m) => Ok(Some(m.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.err(name)(e)),
        }
    }

    /// Writes object `name` (whole, atomically: readers see the old or the new object).
    pub async fn put(&self, name: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.store
            .put(&self.path(name), PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(self.err(name))
    }

    /// Deletes object `name` (tests and repairs).
    pub async fn delete(&self, name: &str) -> Result<(), StoreError> {
        self.store.delete(&self.path(name)).await.map_err(self.err(name))
    }
}
