"""Publishing through the CLI while the server runs."""

from support.corpus import NOTES


def test_cli_note_new_prints_only_the_permalink(publication):
    assert publication.cli_problems == []
    assert len(publication.notes) == len(NOTES)


def test_cli_slug_option_sets_the_permalink(site, publication):
    assert publication.note("custom-slug")["url"] == site.url + "note/custom-slug-check"


def test_server_shows_new_notes_without_a_restart(publication):
    assert publication.shown_new_notes, "the newest note was not on / within 10 s"


def test_note_delete_takes_a_note_off_the_site(publication):
    assert publication.removal_problems["delete"] == []


def test_note_unpublish_takes_a_note_off_the_site(publication):
    assert publication.removal_problems["unpublish"] == []
