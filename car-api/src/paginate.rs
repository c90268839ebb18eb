//! Offset/limit paging as streams of pages and of items, for the actions the spec marks
//! with a paginator (`DescribeApplicationList`, `DescribeApplicationProjects`,
//! `DescribeConcurrentPackages`).
//!
//! Paging stops on the first of: an empty page, a page shorter than the page size, or
//! the reported total reached. A server that ignores `Offset` (sending the same page
//! again) ends the stream with an error instead of looping.

use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::error::{Error, ErrorKind};
use crate::{Client, Operation};

/// The page size used when the request sets none: the size Tencent's own examples use.
pub const DEFAULT_PAGE_SIZE: i64 = 20;

/// A request the client can page through; generated for each paginated action.
pub trait Paginated: Operation + Clone {
    /// One entry of a page.
    type Item: Send + 'static;
    /// The request's offset (0 when unset).
    fn offset(&self) -> i64;
    /// Moves the request to another offset.
    fn set_offset(&mut self, value: i64);
    /// The request's page size, if set.
    fn limit(&self) -> Option<i64>;
    /// Sets the page size.
    fn set_limit(&mut self, value: i64);
    /// The number of matching entries the response reports, if it does.
    fn total(response: &Self::Response) -> Option<i64>;
    /// The number of entries on this page.
    fn page_len(response: &Self::Response) -> usize;
    /// Whether two pages hold the same entries.
    fn same_items(a: &Self::Response, b: &Self::Response) -> bool;
    /// The entries of a page, in the order the server sent them.
    fn into_items(response: Self::Response) -> Vec<Self::Item>;
}

/// Pages through one paginated request; made by the `*_paginator` client methods.
#[derive(Debug, Clone)]
pub struct Paginator<O> {
    client: Client,
    request: O,
}

struct Cursor<O: Paginated> {
    client: Client,
    request: O,
    limit: i64,
    previous: Option<O::Response>,
}

impl<O: Paginated> Paginator<O>
where
    O::Response: Clone,
{
    /// Starts at the request's own offset and page size ([`DEFAULT_PAGE_SIZE`] if unset).
    pub fn new(client: Client, request: O) -> Self {
        Paginator { client, request }
    }

    /// Every page, each one call. A failed call ends the stream with its error. The
    /// stream is boxed, so `next()`/`try_next()` work on it without pinning.
    pub fn pages(self) -> BoxStream<'static, Result<O::Response, Error>> {
        let start = self.cursor();
        stream::unfold(Some(start), |state| async move {
            let cursor = match state? {
                Ok(cursor) => cursor,
                Err(e) => return Some((Err(e), None)),
            };
            let (page, next) = cursor.step().await;
            Some((page, next.map(Ok)))
        })
        .boxed()
    }

    /// Every item of every page, in order.
    pub fn items(self) -> BoxStream<'static, Result<O::Item, Error>> {
        self.pages()
            .map_ok(|page| stream::iter(O::into_items(page).into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// The first cursor, or why the request cannot be paged (nothing is sent then).
    fn cursor(self) -> Result<Cursor<O>, Error> {
        let action = O::meta().name;
        let mut request = self.request;
        let limit = request.limit().unwrap_or(DEFAULT_PAGE_SIZE);
        if limit <= 0 {
            return Err(Error::invalid_request(
                Some("Limit"),
                format!("the paginator needs a positive page size; Limit is {limit}"),
            )
            .with_action(action));
        }
        if request.offset() < 0 {
            return Err(Error::invalid_request(
                Some("Offset"),
                format!("expected an offset of 0 or more, got {}", request.offset()),
            )
            .with_action(action));
        }
        request.set_limit(limit);
        Ok(Cursor {
            client: self.client,
            request,
            limit,
            previous: None,
        })
    }
}

impl<O: Paginated> Cursor<O>
where
    O::Response: Clone,
{
    /// Fetches one page; the cursor for the next one comes back only if there is one.
    async fn step(mut self) -> (Result<O::Response, Error>, Option<Self>) {
        let page = match self.client.send(self.request.clone()).await {
            Ok(page) => page,
            Err(e) => return (Err(e), None),
        };
        let len = O::page_len(&page);
        if len > 0
            && self
                .previous
                .as_ref()
                .is_some_and(|p| O::same_items(p, &page))
        {
            let offset = self.request.offset();
            let error = Error::new(ErrorKind::InvalidResponse {
                status: 200,
                message: format!(
                    "the server sent the same {len} entries for Offset {offset} as for the page before; it seems to ignore Offset, so paging stops here"
                ),
                snippet: String::new(),
            })
            .with_action(O::meta().name);
            return (Err(error), None);
        }
        let next = self.request.offset().saturating_add(len as i64);
        // A total below what has already arrived is wrong (or a promised total the server
        // left out, read as 0): page on until a short or empty page rather than stop early.
        let total = O::total(&page).filter(|&total| total >= next);
        let more = len as i64 >= self.limit && total.is_none_or(|total| next < total);
        if !more {
            return (Ok(page), None);
        }
        self.request.set_offset(next);
        self.previous = Some(page.clone());
        (Ok(page), Some(self))
    }
}

impl Client {
    /// Pages through any paginated request; the generated `*_paginator` methods call it.
    pub fn paginate<O: Paginated>(&self, request: O) -> Paginator<O>
    where
        O::Response: Clone,
    {
        Paginator::new(self.clone(), request)
    }
}
