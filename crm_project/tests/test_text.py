"""crm_project.text.html_to_text: the one HTML-to-text conversion support and marketing share."""

from crm_project.text import html_to_text, sanitise_html


def test_blocks_and_line_breaks_become_lines_and_runs_of_blank_lines_collapse():
    html = "<h1>Hello</h1><p>First  line<br>second\nline</p><div></div><div></div><p>End</p>"
    assert html_to_text(html) == "Hello\nFirst line\nsecond line\nEnd"


def test_scripts_styles_and_the_head_are_dropped():
    html = "<head><title>T</title><style>p{color:red}</style></head><p>Kept</p><script>steal(document.cookie)</script>"
    assert html_to_text(html) == "Kept"


def test_list_items_get_a_dash_and_table_cells_of_a_row_share_a_line():
    html = "<ul><li>One</li><li>Two</li></ul><table><tr><td>A</td><td>B</td></tr></table>"
    assert html_to_text(html) == "- One\n- Two\nA B"


def test_blockquotes_become_quoted_lines_and_pre_keeps_its_lines():
    html = "<p>Reply</p><blockquote><p>Earlier</p><blockquote>Oldest</blockquote></blockquote><pre>a\n  b</pre>"
    assert html_to_text(html) == "Reply\n> Earlier\n> > Oldest\na\n  b"


def test_entities_are_decoded():
    assert html_to_text("<p>Fish &amp; chips&nbsp;&lt;3</p>") == "Fish & chips <3"


def test_links_are_left_out_by_default_and_written_after_their_text_on_request():
    html = '<p>See <a href="https://e.com/a">the offer</a> or <a href="https://e.com/b">https://e.com/b</a></p>'
    assert html_to_text(html) == "See the offer or https://e.com/b"
    assert html_to_text(html, links=True) == "See the offer (https://e.com/a) or https://e.com/b"


def test_script_links_and_a_mailto_of_the_shown_address_are_never_written_out():
    html = '<a href="javascript:alert(1)">Details</a> <a href="mailto:ann@example.com">ann@example.com</a>'
    assert html_to_text(html, links=True) == "Details ann@example.com"


def test_sanitised_html_keeps_text_links_and_merge_fields_and_drops_what_runs():
    dirty = (
        '<p onclick="steal()">Hi {{ first_name }}</p><script>alert(1)</script><style>p{}</style>'
        '<a href="javascript:alert(1)">bad</a> <a href="https://example.com/offer">offer</a>'
    )
    clean = sanitise_html(dirty)
    assert clean.startswith("<p>Hi {{ first_name }}</p>")
    assert '<a href="https://example.com/offer"' in clean
    for gone in ("onclick", "script", "alert", "javascript:", "p{}"):
        assert gone not in clean
    assert sanitise_html("  \n ") == ""
