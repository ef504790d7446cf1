"""The catalog's matching: URLs, hosts, inline snippets and cookies to services."""

from __future__ import annotations

import pytest

from consentgate.catalog import Catalog, CookieRule

# --- every built-in service, by a URL from its install snippet -----------------------------------

INSTALL_URLS = [
    ("https://www.googletagmanager.com/gtag/js?id=G-ABCDEF1234", "google-analytics"),
    ("https://www.google-analytics.com/analytics.js", "google-analytics"),
    ("https://region1.google-analytics.com/g/collect?v=2&tid=G-1", "google-analytics"),
    ("https://ssl.google-analytics.com/ga.js", "google-analytics"),
    ("https://www.googletagmanager.com/gtm.js?id=GTM-ABC123", "google-tag-manager"),
    ("https://www.googletagmanager.com/ns.html?id=GTM-ABC123", "google-tag-manager"),
    ("https://www.googletagmanager.com/gtag/js?id=AW-123456789", "google-ads"),
    ("https://www.googleadservices.com/pagead/conversion.js", "google-ads"),
    ("https://googleads.g.doubleclick.net/pagead/viewthroughconversion/123/?guid=ON", "google-ads"),
    ("https://www.google.com/pagead/1p-user-list/123/?random=1", "google-ads"),
    ("https://www.googletagmanager.com/gtag/js?id=DC-1234567", "doubleclick"),
    ("https://ad.doubleclick.net/ddm/activity/src=1;type=a;cat=b", "doubleclick"),
    ("https://stats.g.doubleclick.net/g/collect", "doubleclick"),
    ("https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js?client=ca-pub-1", "google-adsense"),
    ("https://securepubads.g.doubleclick.net/tag/js/gpt.js", "google-publisher-tag"),
    ("https://www.googletagservices.com/tag/js/gpt.js", "google-publisher-tag"),
    ("https://www.google.com/recaptcha/api.js", "google-recaptcha"),
    ("https://www.gstatic.com/recaptcha/releases/abc/recaptcha__en.js", "google-recaptcha"),
    ("https://www.recaptcha.net/recaptcha/api.js", "google-recaptcha"),
    ("https://connect.facebook.net/en_US/fbevents.js", "meta-pixel"),
    ("https://connect.facebook.net/signals/config/1234567890?v=2.9.1", "meta-pixel"),
    ("https://www.facebook.com/tr?id=1234567890&ev=PageView&noscript=1", "meta-pixel"),
    ("https://connect.facebook.net/en_US/sdk.js#xfbml=1&version=v19.0", "facebook-social"),
    ("https://connect.facebook.net/de_DE/sdk/xfbml.customerchat.js", "facebook-social"),
    ("https://www.facebook.com/plugins/like.php?href=https%3A%2F%2Fexample.com", "facebook-social"),
    ("https://www.instagram.com/embed.js", "instagram-embed"),
    ("https://snap.licdn.com/li.lms-analytics/insight.min.js", "linkedin-insight"),
    ("https://px.ads.linkedin.com/collect/?pid=123&fmt=gif", "linkedin-insight"),
    ("https://platform.linkedin.com/in.js", "linkedin-widgets"),
    ("https://www.linkedin.com/embed/feed/update/urn:li:share:1", "linkedin-widgets"),
    ("https://analytics.tiktok.com/i18n/pixel/events.js?sdkid=ABC", "tiktok-pixel"),
    ("https://www.tiktok.com/embed.js", "tiktok-embed"),
    ("https://platform.twitter.com/widgets.js", "twitter-widgets"),
    ("https://static.ads-twitter.com/uwt.js", "twitter-pixel"),
    ("https://analytics.twitter.com/i/adsct?txn_id=abc&p_id=Twitter", "twitter-pixel"),
    ("https://t.co/i/adsct?txn_id=abc&p_id=Twitter", "twitter-pixel"),
    ("https://s.pinimg.com/ct/core.js", "pinterest-tag"),
    ("https://ct.pinterest.com/v3/?event=init&tid=123&noscript=1", "pinterest-tag"),
    ("https://assets.pinterest.com/js/pinit.js", "pinterest-save"),
    ("https://bat.bing.com/bat.js", "microsoft-uet"),
    ("https://bat.bing.com/action/0?ti=123&Ver=2", "microsoft-uet"),
    ("https://www.clarity.ms/tag/abcdef", "microsoft-clarity"),
    ("https://static.hotjar.com/c/hotjar-123456.js?sv=6", "hotjar"),
    ("https://www.youtube.com/embed/dQw4w9WgXcQ", "youtube"),
    ("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", "youtube"),
    ("https://www.youtube.com/iframe_api", "youtube"),
    ("https://player.vimeo.com/video/76979871", "vimeo"),
    ("https://player.vimeo.com/api/player.js", "vimeo"),
    ("https://js.hs-scripts.com/1234567.js", "hubspot"),
    ("https://js.hs-analytics.net/analytics/1700000000000/1234567.js", "hubspot"),
    ("https://js.hsadspixel.net/fb.js", "hubspot-ads"),
    ("https://js.hsforms.net/forms/embed/v2.js", "hubspot-forms"),
    ("https://cdn.segment.com/analytics.js/v1/WRITEKEY/analytics.min.js", "segment"),
    ("https://api.segment.io/v1/t", "segment"),
    ("https://cdn.callrail.com/companies/123456789/abcdef0123456789/12/swap.js", "callrail"),
    ("https://solutions.invocacdn.com/js/invoca-latest.min.js", "invoca"),
    ("https://js.dialogtech.com/dt-swap.js", "invoca"),
    ("https://123456.tctm.co/t.js", "calltrackingmetrics"),
    ("https://scripts.iconnode.com/12345.js", "whatconverts"),
    ("https://b-js.ringba.com/CA123", "ringba"),
    ("https://js.hcaptcha.com/1/api.js", "hcaptcha"),
    ("https://x.klarnacdn.net/kp/lib/v1/api.js", "klarna"),
    ("https://maps.googleapis.com/maps/api/js?key=KEY", "google-maps"),
    ("https://www.google.com/maps/embed?pb=1", "google-maps"),
    ("https://fonts.googleapis.com/css2?family=Inter", "google-fonts"),
    ("https://cdnjs.cloudflare.com/ajax/libs/jquery/3.7.1/jquery.min.js", "cdnjs"),
    ("https://static.cloudflareinsights.com/beacon.min.js", "cloudflare-web-analytics"),
]


@pytest.mark.parametrize(("url", "service_id"), INSTALL_URLS)
def test_install_url_matches_its_service(catalog: Catalog, url: str, service_id: str) -> None:
    service = catalog.match_url(url)
    assert service is not None, url
    assert service.id == service_id


def test_every_builtin_service_is_covered_by_the_corpus(catalog: Catalog) -> None:
    covered = {sid for _, sid in INSTALL_URLS}
    # Services known only by their host, whose vendors publish no fixed script URL.
    host_only = {"marchex", "infinity-call-tracking", "responsetap", "retreaver"}
    assert set(catalog.services) - covered == host_only
    for sid in host_only:
        host = catalog.services[sid].hosts[0]
        assert catalog.match_url(f"https://cdn.{host}/x.js") is catalog.services[sid]


# --- shared hosts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.google.com/recaptcha/api.js?render=KEY", "google-recaptcha"),
        ("https://www.google.com/search?q=x", None),
        ("https://www.google.com/maps/embed?pb=1", "google-maps"),
        ("https://www.gstatic.com/charts/loader.js", "tpw-google-cdn"),
        ("https://www.googletagmanager.com/gtag/js?id=G-1", "google-analytics"),
        ("https://www.googletagmanager.com/gtag/js", "google-analytics"),
        ("https://www.googletagmanager.com/gtag/js?id=aw-1", "google-ads"),
        ("https://www.googletagmanager.com/gtm.js?id=GTM-1&l=dl", "google-tag-manager"),
        ("https://www.googletagmanager.com/gtm.jsx", "google-tag-manager"),  # host rule, not the path
        ("https://connect.facebook.net/fr_FR/fbevents.js", "meta-pixel"),
        ("https://connect.facebook.net/fr_FR/sdk.js", "facebook-social"),
        ("https://www.facebook.com/tr/", "meta-pixel"),
        ("https://www.facebook.com/trending", "facebook-social"),
        ("https://i.pinimg.com/originals/a.jpg", "pinterest-save"),
        ("https://t.co/AbCdEf", "tpw-twitter-short-url"),
    ],
)
def test_shared_hosts_are_split_by_path(catalog: Catalog, url: str, expected: str | None) -> None:
    service = catalog.match_url(url)
    assert (service.id if service else None) == expected


def test_recaptcha_is_necessary(catalog: Catalog) -> None:
    service = catalog.match_url("https://www.google.com/recaptcha/api.js")
    assert service is not None
    assert service.category == "necessary"


# --- URL forms ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "//www.google-analytics.com/analytics.js",
        "HTTPS://WWW.GOOGLE-ANALYTICS.COM/analytics.js",
        "Http://www.Google-Analytics.com/analytics.js",
        "https://www.google-analytics.com:443/analytics.js",
        "https://user:pass@www.google-analytics.com/analytics.js",
        "https://www.google-analytics.com./analytics.js",
        "  https://www.google-analytics.com/analytics.js\n",
        "https://www.google-\nanalytics.com/analytics.js",
        "https:\\\\www.google-analytics.com\\analytics.js",
        "https:///www.google-analytics.com/analytics.js",
        "https://www.google-analytics.com",
        "https://www.google-analytics.com?x=1",
        "https://www.google-analytics.com#x",
        "https://www.google%2Danalytics.com/analytics.js",
    ],
)
def test_url_forms_browsers_accept(catalog: Catalog, url: str) -> None:
    service = catalog.match_url(url)
    assert service is not None, url
    assert service.id == "google-analytics"


def test_path_rules_ignore_case_and_port(catalog: Catalog) -> None:
    service = catalog.match_url("//WWW.GOOGLETAGMANAGER.COM:443/GTM.JS?id=GTM-1")
    assert service is not None
    assert service.id == "google-tag-manager"
    pixel = catalog.match_url("//Connect.Facebook.NET:8443/EN_US/FBEVENTS.JS")
    assert pixel is not None
    assert pixel.id == "meta-pixel"


@pytest.mark.parametrize(
    "url",
    [
        "/js/app.js",
        "app.js",
        "./vendor/gtm.js",
        "../www.google-analytics.com/analytics.js",
        "https://example.com/analytics.js",
        "https://www.example.org/gtag/js?id=G-1",
        "https://notgoogle-analytics.com/analytics.js",
        "https://google-analytics.com.example.com/analytics.js",
        "data:text/javascript,alert(1)",
        "javascript:void(0)",
        "ftp://www.google-analytics.com/x",
        "mailto:someone@google-analytics.com",
        "",
        "//",
        "https://",
        "https://[::1]:8000/x.js",
        "https://127.0.0.1/x.js",
    ],
)
def test_relative_first_party_and_other_schemes_do_not_match(catalog: Catalog, url: str) -> None:
    assert catalog.match_url(url) is None


def test_match_host(catalog: Catalog) -> None:
    assert catalog.match_host("static.hotjar.com") is catalog.services["hotjar"]
    assert catalog.match_host("STATIC.HOTJAR.COM:443") is catalog.services["hotjar"]
    assert catalog.match_host("hotjar.com") is catalog.services["hotjar"]
    assert catalog.match_host("www.google.com") is None  # only path rules there
    assert catalog.match_host("example.com") is None
    assert catalog.match_host("") is None


def test_longest_host_suffix_wins(catalog: Catalog) -> None:
    assert catalog.match_host("px.ads.linkedin.com") is catalog.services["linkedin-insight"]
    assert catalog.match_host("www.linkedin.com") is catalog.services["linkedin-widgets"]
    assert catalog.match_host("securepubads.g.doubleclick.net") is catalog.services["google-publisher-tag"]
    assert catalog.match_host("cm.g.doubleclick.net") is catalog.services["doubleclick"]


def test_host_answers_are_cached(catalog: Catalog) -> None:
    first = catalog.match_url("https://cached.hotjar.com/a.js")
    assert catalog._entry("cached.hotjar.com") is catalog._entry("cached.hotjar.com")
    assert first is catalog.match_url("https://cached.hotjar.com/b.js")


# --- inline snippets (the vendors' install snippets) ---------------------------------------------

SNIPPETS = [
    (
        "google-analytics",
        """window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());

  gtag('config', 'G-ABCDEF1234');""",
    ),
    (
        "google-analytics",
        """(function(i,s,o,g,r,a,m){i['GoogleAnalyticsObject']=r;i[r]=i[r]||function(){
(i[r].q=i[r].q||[]).push(arguments)},i[r].l=1*new Date();a=s.createElement(o),
m=s.getElementsByTagName(o)[0];a.async=1;a.src=g;m.parentNode.insertBefore(a,m)
})(window,document,'script','https://www.google-analytics.com/analytics.js','ga');
ga('create', 'UA-XXXXX-Y', 'auto');""",
    ),
    (
        "google-tag-manager",
        """(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':
new Date().getTime(),event:'gtm.js'});var f=d.getElementsByTagName(s)[0],
j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src=
'https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);
})(window,document,'script','dataLayer','GTM-XXXX');""",
    ),
    ("google-ads", 'gtag(\'js\', new Date());\n  gtag("config", "AW-123456789");'),
    ("google-ads", "gtag('event', 'conversion', {'send_to': 'AW-123/abc'});"),
    ("google-adsense", "(adsbygoogle = window.adsbygoogle || []).push({});"),
    (
        "google-publisher-tag",
        "window.googletag = window.googletag || {cmd: []};\ngoogletag.cmd.push(function() {\n"
        "  googletag.defineSlot('/1234/ad', [300, 250], 'div-1').addService(googletag.pubads());\n});",
    ),
    (
        "meta-pixel",
        """!function(f,b,e,v,n,t,s)
{if(f.fbq)return;n=f.fbq=function(){n.callMethod?
n.callMethod.apply(n,arguments):n.queue.push(arguments)};
if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version='2.0';
n.queue=[];t=b.createElement(e);t.async=!0;
t.src=v;s=b.getElementsByTagName(e)[0];
s.parentNode.insertBefore(t,s)}(window, document,'script',
'https://connect.facebook.net/en_US/fbevents.js');
fbq('init', '1234567890');
fbq('track', 'PageView');""",
    ),
    (
        "facebook-social",
        """window.fbAsyncInit = function() {
    FB.init({appId: '123', xfbml: true, version: 'v19.0'});
  };""",
    ),
    (
        "linkedin-insight",
        """_linkedin_partner_id = "123456";
window._linkedin_data_partner_ids = window._linkedin_data_partner_ids || [];
window._linkedin_data_partner_ids.push(_linkedin_partner_id);""",
    ),
    (
        "tiktok-pixel",
        """!function (w, d, t) {
  w.TiktokAnalyticsObject=t;var ttq=w[t]=w[t]||[];ttq.methods=["page","track"];
  ttq.load('ABCDEF');
  ttq.page();
}(window, document, 'ttq');""",
    ),
    (
        "twitter-pixel",
        """!function(e,t,n,s,u,a){e.twq||(s=e.twq=function(){s.exe?s.exe.apply(s,arguments):s.queue.push(arguments);
},s.version='1.1',s.queue=[],u=t.createElement(n),u.async=!0,u.src='https://static.ads-twitter.com/uwt.js',
a=t.getElementsByTagName(n)[0],a.parentNode.insertBefore(u,a))}(window,document,'script');
twq('config','abcde');""",
    ),
    (
        "twitter-widgets",
        "window.twttr = (function(d, s, id) { var js; js = d.createElement(s); js.id = id;\n"
        '  js.src = "https://platform.twitter.com/widgets.js"; }(document, "script", "twitter-wjs"));',
    ),
    (
        "pinterest-tag",
        """!function(e){if(!window.pintrk){window.pintrk = function () {
window.pintrk.queue.push(Array.prototype.slice.call(arguments))};var
  n=window.pintrk;n.queue=[],n.version="3.0";var
  t=document.createElement("script");t.async=!0,t.src=e;var
  r=document.getElementsByTagName("script")[0];
  r.parentNode.insertBefore(t,r)}}("https://s.pinimg.com/ct/core.js");
pintrk('load', '1234567890123', {em: '<user_email_address>'});
pintrk('page');""",
    ),
    (
        "microsoft-uet",
        """(function(w,d,t,r,u){var f,n,i;w[u]=w[u]||[],f=function(){var o={ti:"123456"};
o.q=w[u],w[u]=new UET(o),w[u].push("pageLoad")},n=d.createElement(t),n.src=r,n.async=1,
n.onload=n.onreadystatechange=function(){},i=d.getElementsByTagName(t)[0],i.parentNode.insertBefore(n,i)
})(window,document,"script","//bat.bing.com/bat.js","uetq");""",
    ),
    (
        "microsoft-clarity",
        """(function(c,l,a,r,i,t,y){
        c[a]=c[a]||function(){(c[a].q=c[a].q||[]).push(arguments)};
        t=l.createElement(r);t.async=1;t.src="https://www.clarity.ms/tag/"+i;
        y=l.getElementsByTagName(r)[0];y.parentNode.insertBefore(t,y);
    })(window, document, "clarity", "script", "abcdefghij");""",
    ),
    (
        "hotjar",
        """(function(h,o,t,j,a,r){
        h.hj=h.hj||function(){(h.hj.q=h.hj.q||[]).push(arguments)};
        h._hjSettings={hjid:1234567,hjsv:6};
        a=o.getElementsByTagName('head')[0];
        r=o.createElement('script');r.async=1;
        r.src=t+h._hjSettings.hjid+j+h._hjSettings.hjsv;
        a.appendChild(r);
    })(window,document,'https://static.hotjar.com/c/hotjar-','.js?sv=');""",
    ),
    (
        "youtube",
        'var tag = document.createElement("script");\ntag.src = "https://www.youtube.com/iframe_api";',
    ),
    ("hubspot", "var _hsq = window._hsq = window._hsq || [];\n_hsq.push(['setPath', '/home']);"),
    ("hubspot-forms", 'hbspt.forms.create({ region: "na1", portalId: "123", formId: "abc" });'),
    (
        "segment",
        """!function(){var i="analytics",analytics=window[i]=window[i]||[];if(!analytics.initialize)
if(analytics.invoked)window.console&&console.error&&console.error("Segment snippet included twice.");
else{analytics.invoked=!0;analytics._writeKey="WRITE_KEY";analytics.SNIPPET_VERSION="5.2.0";
analytics.load("WRITE_KEY");analytics.page();}}();""",
    ),
    (
        "callrail",
        "var s=document.createElement('script');s.src='//cdn.callrail.com/companies/1/abc/12/swap.js';",
    ),
    ("invoca", "Invoca.PNAPI.integration({ numberSelector: '.phone' });"),
]


@pytest.mark.parametrize(
    ("service_id", "text"), SNIPPETS, ids=[f"{s}-{i}" for i, (s, _) in enumerate(SNIPPETS)]
)
def test_inline_snippets_are_recognised(catalog: Catalog, service_id: str, text: str) -> None:
    service = catalog.match_inline(text)
    assert service is not None
    assert service.id == service_id


@pytest.mark.parametrize(
    "text",
    [
        "",
        "document.querySelector('.menu').addEventListener('click', toggle);",
        '{"@context": "https://schema.org", "@type": "Organization"}',
        "window.dataLayer = window.dataLayer || [];",  # the bootstrap alone is no tag
        "console.log('gtag is a function name')",
        "function fbqx() {}",
    ],
)
def test_plain_scripts_are_not_matched(catalog: Catalog, text: str) -> None:
    assert catalog.match_inline(text) is None


# --- cookies ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "category", "service_id"),
    [
        ("_ga", "analytics", "google-analytics"),
        ("_ga_ABC123", "analytics", "google-analytics"),
        ("_gid", "analytics", "google-analytics"),
        ("_gcl_au", "advertising", "google-ads"),
        ("_fbp", "advertising", "meta-pixel"),
        ("_fbc", "advertising", "meta-pixel"),
        ("ajs_anonymous_id", "analytics", "segment"),  # the OCD files it under Trustpilot
        ("ajs_user_id", "analytics", "segment"),
        ("_hjSessionUser_123", "analytics", "hotjar"),  # the OCD files it as Functional
        ("_hjFirstSeen", "analytics", "hotjar"),
        ("_clck", "analytics", "microsoft-clarity"),
        ("_uetsid", "advertising", "microsoft-uet"),
        ("_ttp", "advertising", "tiktok-pixel"),
        ("li_fat_id", "advertising", "linkedin-insight"),
        ("_pin_unauth", "advertising", "pinterest-tag"),
        ("__hstc", "advertising", "hubspot"),
        ("calltrk_referrer", "advertising", "callrail"),
        ("_GRECAPTCHA", "necessary", "google-recaptcha"),
    ],
)
def test_catalog_cookies(catalog: Catalog, name: str, category: str, service_id: str) -> None:
    assert catalog.cookie_category(name) == category
    service = catalog.cookie_service(name)
    assert service is not None
    assert service.id == service_id


def test_cookie_rules_are_case_sensitive(catalog: Catalog) -> None:
    assert catalog.cookie_category("_GA") is None
    assert CookieRule.parse("_ga_*").matches("_ga_X")
    assert not CookieRule.parse("_ga").matches("_ga_X")
