//! What a page says about itself in `<head>`, for search engines and link
//! previews. Every page on `base.html` gives one through its `head()`
//! method, and `base.html` writes it the same way for all of them.

use super::pages::PageContext;

/// A page's description, canonical address and preview tags.
pub struct PageHead {
    /// `<meta name="description">`, and `og:description` when not empty.
    pub description: String,
    /// The page's own address: `rel="canonical"` and `og:url`. `None` for
    /// error pages, which are no page of their own.
    pub canonical: Option<String>,
    /// `og:title`: the page's title without the site's name.
    pub title: String,
    /// `og:type`: `website`, or `article` for a note.
    pub kind: &'static str,
    /// Search engines are asked to leave it out of their index.
    pub noindex: bool,
}

impl PageHead {
    /// A public page at `canonical`, described as the site is.
    pub fn page(ctx: &PageContext<'_>, canonical: String, title: impl Into<String>) -> PageHead {
        PageHead {
            description: ctx.site.description.clone(),
            canonical: Some(canonical),
            title: title.into(),
            kind: "website",
            noindex: false,
        }
    }

    /// An error page: the site's description, no address of its own.
    pub fn error(ctx: &PageContext<'_>, title: &str) -> PageHead {
        PageHead {
            canonical: None,
            ..PageHead::page(ctx, String::new(), title)
        }
    }

    /// With its own description instead of the site's.
    pub fn described(self, description: impl Into<String>) -> PageHead {
        PageHead {
            description: description.into(),
            ..self
        }
    }

    /// A note: `og:type` `article`.
    pub fn article(self) -> PageHead {
        PageHead {
            kind: "article",
            ..self
        }
    }

    /// Kept out of search engines' indexes.
    pub fn noindex(self) -> PageHead {
        PageHead {
            noindex: true,
            ..self
        }
    }
}

/// `title`, with `, page N` after the first page.
pub fn paged_title(title: &str, page: u64) -> String {
    if page > 1 {
        format!("{title}, page {page}")
    } else {
        title.to_owned()
    }
}
