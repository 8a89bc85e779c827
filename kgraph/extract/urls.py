"""URL canonicalisation: one real-world thing, one URL, whatever form a page linked it in.

Canonical form: https, lower-case host without `www.`/`m.`, no fragment, no tracking
parameters, no trailing slash, percent-encoding normalised so the result is a valid IRI.
Known sites get their own rules (arXiv abs/pdf/html/version, youtu.be, DOI resolvers,
OpenReview forum/pdf).
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

__all__ = ["canonical_url", "resolve", "arxiv_id", "doi_of", "is_web_url", "host_of", "path_of"]

TRACKING = re.compile(
    r"^(utm_.*|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|si|ref|ref_src|ref_url|"
    r"source|feature|share|s|t|trk|_hsenc|_hsmki|mkt_tok|cmpid|smid|smtyp|sh|ncid|guccounter)$",
    re.I,
)
# Parameters that name the thing itself on sites where the path does not.
KEEP_ALWAYS = {"v", "id", "p", "list", "q", "title", "curid", "article", "pid", "arnumber", "doi", "user"}

ARXIV_ID = r"(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})"
_ARXIV_PATH = re.compile(r"^/(?:abs|pdf|html|format|ps)/" + ARXIV_ID + r"(?:v\d+)?(?:\.pdf)?/?$", re.I)
_DOI = re.compile(r"(10\.\d{4,9}/\S+)", re.I)
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"
_MOBILE_HOST = re.compile(r"^(www\d?|m|mobile)\.")
_SLASHES = re.compile(r"/{2,}")
_VIDEO_PATH = re.compile(r"^/(?:embed|shorts|live|v)/([\w-]+)")
_DOI_IN_PATH = re.compile(r"/(?:doi/(?:abs/|full/|pdf/|epdf/|book/)?)?(10\.\d{4,9}/[^?#\s]+)")
_DOI_VIEW_SUFFIX = re.compile(r"(/(abstract|full|pdf|epdf|html|meta))+/?$|\.pdf$", re.I)


@lru_cache(maxsize=65536)
def _split(url: str):
    """urlsplit with a cache as big as a corpus: one URL is split by several functions here, and
    the standard library's own cache (128 entries) is long gone by the next one."""
    return urlsplit(url)


@lru_cache(maxsize=65536)
def path_of(url: str) -> str:
    """The URL's path ('/abs/2206.07682'); raises ValueError like urlsplit for a malformed URL."""
    return _split(url).path


@lru_cache(maxsize=65536)
def is_web_url(url: str) -> bool:
    """True for absolute http(s) URLs with a host; false for mailto:, javascript:, fragments..."""
    try:
        parts = _split(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def resolve(url: str, page_url: str) -> str:
    """The absolute URL a link on page_url points at ('' for non-web links such as mailto:)."""
    url = url.strip().replace("\\", "/")
    if not url or url.startswith("#"):
        return ""
    if url.lower().startswith("www."):
        url = "https://" + url
    if url.startswith(("https://", "http://")) and " " not in url:
        return url if is_web_url(url) else ""  # already absolute: urljoin would only cost time
    scheme = urlsplit(url).scheme.lower() if ":" in url else ""
    if scheme and scheme not in ("http", "https"):
        return ""
    try:
        absolute = urljoin(page_url, url)
    except ValueError:
        return ""
    return absolute if is_web_url(absolute) else ""


@lru_cache(maxsize=65536)
def host_of(url: str) -> str:
    """Lower-case host without www., '' when there is none."""
    try:
        host = _split(url).hostname or ""
    except ValueError:
        return ""
    return _MOBILE_HOST.sub("", host.lower().rstrip("."))


@lru_cache(maxsize=65536)
def canonical_url(url: str) -> str:
    """The canonical form of an absolute http(s) URL; '' when it is not one."""
    if not is_web_url(url):
        return ""
    parts = _split(url.strip())
    host = host_of(url)
    if not host.strip("."):
        return ""
    try:
        port = parts.port
    except ValueError:
        port = None
    shown = f"[{host}]" if ":" in host else host  # IPv6 literals keep their brackets
    netloc = shown if port in (None, 80, 443) else f"{shown}:{port}"
    path = _clean_path(parts.path)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING.match(k) or k in KEEP_ALWAYS
    ]
    special = _special(host, path, dict(query))
    if special:
        return special
    query_text = urlencode(sorted(query), quote_via=quote, safe=_SAFE_QUERY.replace("&", "").replace("=", ""))
    return urlunsplit(("https", netloc, path, query_text, ""))


def _clean_path(path: str) -> str:
    path = quote(unquote(path), safe=_SAFE_PATH)
    path = _SLASHES.sub("/", path)
    return path.rstrip("/")


def _special(host: str, path: str, query: dict[str, str]) -> str:
    """Site-specific canonical forms, or '' when the generic form applies."""
    if host in ("youtu.be",) and path.strip("/"):
        return f"https://youtube.com/watch?v={quote(unquote(path.strip('/').split('/')[0]), safe='-_')}"
    if host.endswith("youtube.com") or host == "youtube-nocookie.com":
        m = _VIDEO_PATH.match(path)
        vid = m.group(1) if m else query.get("v", "")
        if vid:
            return f"https://youtube.com/watch?v={quote(unquote(vid), safe='-_')}"
    ident = arxiv_id_from(host, path)
    if ident:
        return f"https://arxiv.org/abs/{ident}"
    doi = doi_from(host, path)
    if doi.startswith("10.48550/arxiv."):  # arXiv's own DOIs name the arXiv paper
        return f"https://arxiv.org/abs/{doi[len('10.48550/arxiv.') :]}"
    if doi:
        return f"https://doi.org/{quote(doi, safe='/:;()._-<>')}".replace("<", "%3C").replace(">", "%3E")
    if host == "openreview.net" and query.get("id") and path in ("/forum", "/pdf"):
        return f"https://openreview.net/forum?id={quote(query['id'], safe='_-')}"
    if host == "twitter.com":
        return urlunsplit(("https", "x.com", path, "", ""))
    return ""


def arxiv_id_from(host: str, path: str) -> str:
    if host not in ("arxiv.org", "export.arxiv.org", "ar5iv.org", "ar5iv.labs.arxiv.org", "alphaxiv.org"):
        return ""
    m = _ARXIV_PATH.match(unquote(path))
    return m.group(1) if m else ""


def doi_from(host: str, path: str) -> str:
    if host not in ("doi.org", "dx.doi.org"):
        return ""
    m = _DOI.search(unquote(path))
    return m.group(1).lower().rstrip(".") if m else ""


@lru_cache(maxsize=65536)
def arxiv_id(url: str) -> str:
    """The arXiv id (no version) of an arXiv URL (or arXiv DOI), '' otherwise."""
    if not is_web_url(url):
        return ""
    host, path = host_of(url), path_of(url)
    doi = doi_from(host, path)
    if doi.startswith("10.48550/arxiv."):
        return doi[len("10.48550/arxiv.") :]
    return arxiv_id_from(host, path)


@lru_cache(maxsize=65536)
def doi_of(url: str) -> str:
    """The DOI (lower case) that a URL names: doi.org links and publisher URLs with /doi/."""
    if not is_web_url(url):
        return ""
    path = path_of(url)
    doi = doi_from(host_of(url), path)
    if doi:
        return doi
    m = _DOI_IN_PATH.search(unquote(path))
    if not m:
        return ""
    doi = _DOI_VIEW_SUFFIX.sub("", m.group(1))
    return doi.lower().rstrip("/.")
