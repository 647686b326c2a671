"""The sign-in and admin pages validated by the W3C Nu checker, in every
state the owner meets them: signed out, with notes, with field errors,
with a preview, with an edit conflict, before a delete. Fetched over
plain HTTP as the owner (the browser test covers the clicking)."""

import json
import re

import pytest

from support.nu import canary_was_checked, check_folder, errors_in
from support.png import png

EDIT_LINK = re.compile(r'href="/admin/edit/(\d+)"')
MEDIA_DELETE_LINK = re.compile(r'href="/admin/media/delete/(\d+)"')


def note_ids(owner, query=""):
    """Each row's note id, newest first (a row links its editor twice)."""
    return list(dict.fromkeys(EDIT_LINK.findall(owner.get("/admin" + query).text)))


@pytest.fixture(scope="module")
def admin_pages(admin_site, owner):
    """File name -> the response, each saved under admin-pages/."""
    created = [owner.post("/admin/new", [("content", text), *published, ("slug", slug),
                                         ("action", "save")])
               for text, published, slug in [
                   ("A published note with *emphasis* & <b>markup</b>.", [("published", "on")], ""),
                   ("A draft, kept out of sight.", [], "a-draft"),
                   ("A note to delete.", [("published", "on")], "to-delete")]]
    assert [r.status for r in created] == [303, 303, 303]
    newest, draft, published = note_ids(owner)
    assert owner.post(f"/admin/delete/{newest}", []).status == 303
    deleted = newest
    photo_pages = photos_in_every_state(owner)

    pages = {
        "sign-in.html": admin_site.get("/auth/login"),
        "sign-in-signed-out.html": admin_site.get("/auth/login?signed_out=1"),
        "login-link.html": admin_site.get("/auth/link/" + "x" * 43),
        "sign-in-failed.html": admin_site.get("/auth/callback?code=abc&state=unknown"),
        "dashboard.html": owner.get("/admin"),
        "dashboard-deleted.html": owner.get("/admin?show=deleted"),
        "editor-new.html": owner.get("/admin/new"),
        "editor-preview.html": owner.post("/admin/new", [
            ("content", "# Heading\n\nText with a [link](https://example.com/) and `code`.\n\n"
                        "<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"),
            ("published", "on"), ("action", "preview")]),
        "editor-errors.html": owner.post("/admin/new", [
            ("content", "   "), ("slug", "Not A Slug!"), ("published_at", "yesterday"),
            ("action", "save")]),
        "editor-edit.html": owner.get(f"/admin/edit/{published}"),
        "editor-edit-draft.html": owner.get(f"/admin/edit/{draft}"),
        "editor-conflict.html": owner.post(f"/admin/edit/{published}", [
            ("content", "My version."), ("based_on", "0" * 64), ("published", "on"),
            ("action", "save")]),
        "confirm-delete.html": owner.get(f"/admin/delete/{published}"),
        "confirm-remove-for-good.html": owner.get(f"/admin/delete/{deleted}"),
        "admin-404.html": owner.get("/admin/edit/999999"),
        "apps.html": owner.get("/admin/apps"),
        "mentions.html": owner.get("/admin/mentions"),
        "mentions-sent.html": owner.get(f"/admin/mentions/sent/{published}"),
        "consent.html": owner.get(
            "/auth/authorize?response_type=code&client_id=http%3A%2F%2Flocalhost%3A1%2F"
            "&redirect_uri=http%3A%2F%2Flocalhost%3A1%2Fcb&state=s&code_challenge_method=S256"
            "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&scope=create+media+read"),
        **photo_pages,
    }
    folder = admin_site.folder / "admin-pages"
    folder.mkdir()
    for name, response in pages.items():
        (folder / name).write_bytes(response.body)
    return pages


def photos_in_every_state(owner):
    """The editor with photos (added, refused, undescribed, previewed) and
    the media pages, with an upload a note uses and one nothing uses."""
    def upload(width):
        answer = owner.post_multipart("/admin/media/upload", [],
                                      [("file", "photo.png", png(width, 20))])
        assert answer.status == 201, answer.text
        return json.loads(answer.text)["url"]

    used, unused = upload(30), upload(24)
    described = [("photo_url", used), ("photo_alt", "An orange square & a line")]
    saved = owner.post("/admin/new", [("content", "A note with a photo."), ("published", "on"),
                                      ("slug", "with-photo"), *described, ("action", "save")])
    assert saved.status == 303, saved.text
    media = owner.get("/admin/media")
    unused_id, used_id = MEDIA_DELETE_LINK.findall(media.text)
    return {
        "editor-photos-added.html": owner.post_multipart(
            "/admin/new", [("content", "Photos coming."), ("action", "add-photos")],
            [("photos", "one.png", png(16, 12)), ("photos", "notes.txt", b"not an image")]),
        "editor-photo-undescribed.html": owner.post("/admin/new", [
            ("content", "Undescribed."), ("photo_url", unused), ("photo_alt", ""),
            ("action", "save")]),
        "editor-photo-preview.html": owner.post("/admin/new", [
            ("content", "Previewed."), *described, ("action", "preview")]),
        "media.html": media,
        "confirm-media-delete.html": owner.get(f"/admin/media/delete/{unused_id}"),
        "confirm-media-delete-in-use.html": owner.get(f"/admin/media/delete/{used_id}"),
    }


# Each page and the status it must answer with.
EXPECTED = {
    "sign-in.html": 200, "sign-in-signed-out.html": 200, "login-link.html": 200,
    "sign-in-failed.html": 400, "dashboard.html": 200, "dashboard-deleted.html": 200,
    "editor-new.html": 200, "editor-preview.html": 200, "editor-errors.html": 422,
    "editor-edit.html": 200, "editor-edit-draft.html": 200, "editor-conflict.html": 409,
    "confirm-delete.html": 200, "confirm-remove-for-good.html": 200, "admin-404.html": 404,
    "apps.html": 200, "mentions.html": 200, "mentions-sent.html": 200, "consent.html": 200,
    "editor-photos-added.html": 415, "editor-photo-undescribed.html": 422,
    "editor-photo-preview.html": 200, "media.html": 200, "confirm-media-delete.html": 200,
    "confirm-media-delete-in-use.html": 200,
}


@pytest.fixture(scope="module")
def nu_messages(admin_site, admin_pages, figures):
    return check_folder(admin_site.folder / "admin-pages", figures, css=False)


def test_the_checker_ran_over_the_admin_pages(nu_messages):
    assert canary_was_checked(nu_messages)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_admin_page_answers_as_expected(admin_pages, name):
    response = admin_pages[name]
    assert response.status == EXPECTED[name], response.text[:500]
    assert response.content_type == "text/html; charset=utf-8"
    assert response.header("Cache-Control") == "no-store"
    assert "frame-ancestors 'none'" in response.header("Content-Security-Policy")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_admin_page_is_valid_html(nu_messages, name):
    assert errors_in(nu_messages, name) == []


def test_the_pages_show_what_they_are_for(admin_pages):
    """Guards against validating the wrong page (say, a redirect's body)."""
    assert "Sign in as https://ada.example/" in admin_pages["sign-in.html"].text
    assert "You are signed out." in admin_pages["sign-in-signed-out.html"].text
    assert 'aria-invalid="true"' in admin_pages["editor-errors.html"].text
    preview = admin_pages["editor-preview.html"].text
    assert '<section class="preview"' in preview and "<script>alert" not in preview
    assert "The version saved meanwhile" in admin_pages["editor-conflict.html"].text
    assert "Remove for good" in admin_pages["confirm-remove-for-good.html"].text
    assert "a-draft" in admin_pages["dashboard.html"].text
    assert 'id="photos-error"' in admin_pages["editor-photos-added.html"].text
    assert 'id="photo-alt-error-1"' in admin_pages["editor-photo-undescribed.html"].text
    assert 'class="u-photo"' in admin_pages["editor-photo-preview.html"].text
    assert "unused" in admin_pages["media.html"].text
    assert "with-photo" in admin_pages["media.html"].text
    assert "Delete this upload?" in admin_pages["confirm-media-delete.html"].text
    assert "This upload is in use" in admin_pages["confirm-media-delete-in-use.html"].text
