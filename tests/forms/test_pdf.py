"""Every form checked the way a reviewer would: pdfinfo, pdffonts, pdftotext, pdftoppm."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from contracts import Member, TenantRef, VisitRecord
from forms import document_hash, load_layout, render_form
from forms.errors import UnknownFormError, UnprintableCharacterError
from forms.fonts import registered_font
from tests.helpers.forms_samples import guidance, signature, visit
from tests.helpers.pdf import as_extracted, pdf_text, run_tool

FORMS = [
    "moving-notice",
    "residence-certificate-request",
    "tax-certificate-request",
    "tax-certificate-postal-request",
    "checklist",
]
pytestmark = pytest.mark.usefixtures("poppler")


def _write(tmp_path: Path, name: str, record: VisitRecord, **kwargs: object) -> Path:
    filename, content_type, content, _ = render_form(name, record, **kwargs)  # type: ignore[arg-type]
    assert content_type == "application/pdf"
    assert filename == f"{name}-V-20261124-0007.pdf" or record.visit_id is None
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(content)
    return path


def _pages(path: Path) -> int:
    info = run_tool("pdfinfo", str(path))
    assert re.search(r"Page size:\s+595\.2\d* x 841\.8\d* pts \(A4\)", info), info
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]


def _fonts(path: Path) -> list[list[str]]:
    lines = run_tool("pdffonts", str(path)).splitlines()[2:]
    return [line.split() for line in lines]


@pytest.mark.parametrize("name", FORMS)
def test_a4_and_every_font_embedded(tmp_path: Path, name: str) -> None:
    # The sample 転入 is after 1 January: its tax certificate is the 郵送請求書; a 転居 is not.
    record = visit(4, "moving-within") if name == "tax-certificate-request" else visit(4)
    path = _write(tmp_path, name, record, guidance=guidance(), signature=signature())
    assert _pages(path) == 1
    fonts = _fonts(path)
    assert fonts, "no font listed"
    for row in fonts:
        # name type encoding emb sub uni object-id generation
        assert row[-5] == "yes", f"not embedded: {row}"
        assert row[-3] == "yes", f"no ToUnicode: {row}"
        assert "Helvetica" not in row[0]
    assert {row[0].split("+")[1] for row in fonts} <= {"IPAexGothic", "IPAexMincho", "IPAmjMincho"}


def test_moving_notice_values_and_era_boundaries(tmp_path: Path) -> None:
    text = pdf_text(_write(tmp_path, "moving-notice", visit(4), signature=signature()))
    for value in [
        "千代田区",
        "令和8年11月24日",
        "令和8年11月20日",
        "東京都千代田区九段南１－２－１",
        "東京都清瀬市観布子南１２－７－２０２",
        "090-0000-0000",
        "12345678901",
        "黒桐　幹也",
        "コクトウ　ミキヤ",
        "𠮷野　鮮花",
        "黒桐　﨑子",
        "黒桐　髙志",
        "昭和55年2月17日",
        "昭和64年1月7日",
        "平成元年1月8日",
        "令和元年5月1日",
        "受付番号 A-007 2026-11-24",
        "1/1",
    ]:
        assert as_extracted(value) in text, value
    assert "V-20261124-0007" not in text  # the internal id is for machines (the QR code)
    assert "✓ 転入" in text
    assert "✓ 転居" not in text


def test_non_bmp_and_compatibility_ideographs_keep_their_code_points(tmp_path: Path) -> None:
    text = pdf_text(_write(tmp_path, "moving-notice", visit(4)))
    assert "\U00020bb7" in text  # 𠮷, drawn with IPAmj明朝
    assert "\ufa11" in text  # 﨑, not folded to 崎 U+5D0E
    assert "\u5d0e" not in text
    assert "\u20bb" not in text  # what reportlab's unpatched ToUnicode map would give
    assert "IPAmjMincho" in {row[0].split("+")[1] for row in _fonts(tmp_path / "moving-notice.pdf")}


def test_six_member_household_continues_with_every_member(tmp_path: Path) -> None:
    path = _write(tmp_path, "moving-notice", visit(6))
    assert _pages(path) == 2
    first = run_tool("pdftotext", "-raw", "-f", "1", "-l", "1", str(path), "-")
    second = run_tool("pdftotext", "-raw", "-f", "2", "-l", "2", str(path), "-")
    assert "1/2" in first and "2/2" in second
    for member in visit(6).members[:4]:
        assert as_extracted(member.name) in first
    later = ("黒桐 トメ", "Anna SMITH", "大正元年7月30日", "昭和元年12月25日", "英国", "永住者")
    for name in later:
        assert name in second, name
    assert "黒桐 髙志" not in second


def test_certificate_requests_values(tmp_path: Path) -> None:
    residence = pdf_text(_write(tmp_path, "residence-certificate-request", visit(4)))
    for value in [
        "✓ 本人",
        "✓ 世帯全員",
        "✓ 住民票の写し",
        "2通",
        "✓ 世帯主・続柄",
        "✓ 住民票コード",
        "勤務先へ提出",
    ]:
        assert value in residence, value
    assert "✓ 個人番号" not in residence and "✓ 除票の写し" not in residence
    tax = pdf_text(_write(tmp_path, "tax-certificate-request", visit(4, "moving-within")))
    for value in [
        "令和8年度",
        "令和7年中",
        "✓ 所得課税証明書",
        "児童手当",
        "東京都清瀬市観布子南１２－７－２０２",
    ]:
        assert value in tax, value
    assert "𠮷野" not in tax  # only the subject (member 0) is listed


def test_checklist_in_route_order(tmp_path: Path) -> None:
    text = pdf_text(_write(tmp_path, "checklist", visit(4), guidance=guidance()))
    order = [
        text.index(name)
        for name in ("転入届", "住民票の写し", "国民健康保険 加入", "児童手当 認定請求")
    ]
    assert order == sorted(order)
    for value in [
        "保険年金課（1階 7番）",
        "転出証明書・本人確認書類",
        "令和8年12月4日まで",
        "600円",
        "手続き 4件",
    ]:
        assert value in text, value


def test_empty_fields_stay_empty(tmp_path: Path) -> None:
    record = VisitRecord(
        tenant=TenantRef(code="131016", name="千代田区"),
        event="moving-within",
        event_date=dt.date(2026, 4, 1),
        filed_on=dt.date(2026, 4, 2),
        members=[Member(name="黒桐　幹也")],
    )
    text = pdf_text(_write(tmp_path, "moving-notice", record))
    assert "None" not in text and "null" not in text and "未入力" not in text
    assert "✓ 転居" in text
    assert "受付番号 \n" in text or "受付番号\n" in text


def test_document_hash_is_defined_by_record_form_and_layout(tmp_path: Path) -> None:
    record = visit(4)
    digest = document_hash("moving-notice", 1, record, None)
    assert digest == document_hash("moving-notice", 1, visit(4), None)
    assert digest != document_hash("moving-notice", 2, record, None)
    assert digest != document_hash("checklist", 1, record, None)
    changed = record.model_copy(update={"new_address": "東京都千代田区九段南１－２－２"})
    assert digest != document_hash("moving-notice", 1, changed, None)
    current = document_hash("moving-notice", load_layout("moving-notice").version, record, None)
    path = _write(tmp_path, "moving-notice", record, signature=signature())
    # For machines in the metadata and the QR code; not printed as a line for the resident.
    assert PdfReader(str(path)).metadata.subject == f"sha256:{current}"  # type: ignore[union-attr]
    assert current not in pdf_text(path)


def _dark_fraction(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    region = image.convert("L").crop(box)
    dark = sum(region.histogram()[:100])
    return dark / (region.width * region.height)


def test_signature_drawn_in_its_box(tmp_path: Path) -> None:
    path = _write(tmp_path, "moving-notice", visit(4), signature=signature())
    (tmp_path / "unsigned").mkdir()
    unsigned = _write(tmp_path / "unsigned", "moving-notice", visit(4))
    # 72 dpi → 1 mm = 2.835 px; signature box x 12-122, y 174-199 mm.
    subprocess.run(
        ["pdftoppm", "-r", "72", "-png", "-singlefile", str(path), str(tmp_path / "s")], check=True
    )
    subprocess.run(
        ["pdftoppm", "-r", "72", "-png", "-singlefile", str(unsigned), str(tmp_path / "n")],
        check=True,
    )
    box = (int(14 * 2.835), int(178 * 2.835), int(120 * 2.835), int(197 * 2.835))
    assert _dark_fraction(Image.open(tmp_path / "s.png"), box) > 0.01
    assert _dark_fraction(Image.open(tmp_path / "n.png"), box) == 0


def test_png_signature(tmp_path: Path) -> None:
    image = Image.new("RGBA", (200, 80), (255, 255, 255, 0))
    for x in range(10, 190):
        image.putpixel((x, 40), (0, 0, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    import base64

    from contracts import Signature

    sig = Signature(width=200, height=80, png_base64=base64.b64encode(buffer.getvalue()).decode())
    path = _write(tmp_path, "moving-notice", visit(1), signature=sig)
    assert _pages(path) == 1


def test_unprintable_character_is_refused_not_replaced() -> None:
    record = visit(1).model_copy(update={"household_head": "黒桐\U000f0000"})
    with pytest.raises(UnprintableCharacterError) as caught:
        render_form("moving-notice", record)
    assert "U+F0000" in caught.value.message


def test_unknown_form() -> None:
    with pytest.raises(UnknownFormError):
        render_form("no-such-form", visit(1))


def test_municipality_layout_and_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    background = tmp_path / "our-form.pdf"
    # A background must embed its fonts too: start it on an embedded TrueType font.
    canvas = Canvas(
        str(background), pagesize=(595.2756, 841.8898), initialFontName=registered_font("mincho")
    )
    canvas.rect(20, 20, 555, 800)
    canvas.showPage()
    canvas.save()
    builtin = (Path(__file__).parents[2] / "forms/layouts/moving-notice.yaml").read_text("utf-8")
    custom = builtin.replace("background: null", "background: our-form.pdf").replace(
        "text: 住民異動届,", "text: 住民異動届（千代田区様式）,"
    )
    (tmp_path / "moving-notice.yaml").write_text(custom, encoding="utf-8")
    monkeypatch.setenv("MADOGUCHI_FORM_LAYOUTS", str(tmp_path))
    path = _write(tmp_path, "moving-notice", visit(6))
    assert _pages(path) == 2
    text = pdf_text(path)
    assert "住民異動届（千代田区様式）" in text and "Anna SMITH" in text
    assert len(PdfReader(str(path)).pages) == 2
    assert all(row[-5] == "yes" for row in _fonts(path))


def test_the_footer_qr_code_reads_back_as_the_lookup_uri(tmp_path: Path) -> None:
    """Read off the printed sheet as a scanner would: the visit, the form and the hash."""
    import zxingcpp

    from forms.pdf import lookup_uri

    record = visit(2)
    path = _write(tmp_path, "moving-notice", record)
    image = tmp_path / "p"
    run_tool("pdftoppm", "-r", "150", "-gray", "-png", "-singlefile", str(path), str(image))
    page = Image.open(tmp_path / "p.png")
    footer = page.crop((0, int(page.height * 0.85), page.width, page.height))
    found = zxingcpp.read_barcodes(footer)
    digest = document_hash("moving-notice", load_layout("moving-notice").version, record, None)
    assert [code.text for code in found] == [lookup_uri(record.visit_id, "moving-notice", digest)]
    assert found[0].ec_level == "M"


def test_font_subsets_hold_only_the_characters_drawn(tmp_path: Path) -> None:
    """reportlab's default puts all of ASCII into every document's first subset of a font,
    drawn or not; each subset holds what the page shows (and the space reportlab keeps)."""
    path = _write(tmp_path, "moving-notice", visit(2))
    shown = set(run_tool("pdftotext", "-raw", str(path), "-")) | {"\x00"}
    fonts = 0

    def subsets(resources: object) -> list[object]:
        found = list(resources.get("/Font", {}).values())  # type: ignore[attr-defined]
        for xobject in resources.get("/XObject", {}).values():  # type: ignore[attr-defined]
            found += subsets(xobject.get_object().get("/Resources", {}).get_object())
        return found

    for font in subsets(PdfReader(str(path)).pages[0]["/Resources"]):
        to_unicode = font.get_object()["/ToUnicode"].get_object().get_data().decode()  # type: ignore[attr-defined]
        chars = to_unicode.split("beginbfchar", 1)[1]
        entries = re.findall(r"<[0-9A-F]+> <([0-9A-F]+)>", chars)
        held = {bytes.fromhex(target).decode("utf-16-be") for target in entries}
        held = {char for char in held if not char.isspace()}  # pdftotext writes U+3000 as " "
        assert held <= shown, sorted(held - shown)
        fonts += 1
    assert fonts >= 2  # the fixed layer's subset and the visit's values' own


def test_a_documents_own_streams_are_compressed_fast_and_the_fixed_layer_well(
    tmp_path: Path,
) -> None:
    """zlib level 1 for what each document compresses anew (its font subsets, its page), the
    default level for the fixed layer, compressed once and copied into every document (the
    zlib header's second byte tells the level: 0x01 fastest, 0x9C default)."""
    page = PdfReader(str(_write(tmp_path, "moving-notice", visit(2)))).pages[0]
    own = page["/Resources"]["/Font"]
    sheet = page["/Resources"]["/XObject"]["/FormXob.MadoguchiSheet1"].get_object()
    fixed = sheet["/Resources"]["/XObject"]["/FormXob.MadoguchiFixed0"].get_object()

    def font_file(font: object) -> bytes:
        descriptor = font.get_object()["/FontDescriptor"]  # type: ignore[attr-defined]
        return descriptor["/FontFile2"].get_object()._data  # type: ignore[no-any-return]

    assert {font_file(font)[:2] for font in own.values()} == {b"\x78\x01"}
    fixed_fonts = fixed["/Resources"]["/Font"].values()
    assert {font_file(font)[:2] for font in fixed_fonts} == {b"\x78\x9c"}


def test_each_subsets_widths_are_the_fonts_widths(tmp_path: Path) -> None:
    """/Widths (written by forms.fonts._Widths, ten to a line) give each code its glyph's
    width in the font, so that readers place the text where reportlab measured it."""
    from reportlab.pdfbase import pdfmetrics

    page = PdfReader(str(_write(tmp_path, "moving-notice", visit(4)))).pages[0]
    faces = {
        "IPAexGothic": pdfmetrics.getFont(registered_font("gothic")).face,
        "IPAmjMincho": pdfmetrics.getFont(registered_font("fallback")).face,
    }
    checked = 0
    for font in page["/Resources"]["/Font"].values():
        font = font.get_object()
        face = faces[font["/BaseFont"].split("+")[1]]
        to_unicode = font["/ToUnicode"].get_object().get_data().decode()
        chars = to_unicode.split("beginbfchar", 1)[1]
        for code, target in re.findall(r"<([0-9A-F]+)> <([0-9A-F]+)>", chars):
            char = bytes.fromhex(target).decode("utf-16-be")
            width = font["/Widths"][int(code, 16) - font["/FirstChar"]]
            assert width == pytest.approx(face.getCharWidth(ord(char)), abs=0.001), char
            checked += 1
    assert checked > 20


def test_draw_string_writes_what_reportlabs_draw_string_writes() -> None:
    """forms.pdf.draw_string: reportlab's operators, subsets switched as reportlab does (a
    subset holds 256 glyphs: 600 kanji fill more than one), invisible text, parentheses escaped."""
    import io as _io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    from forms.fonts import FALLBACK, registered_font
    from forms.pdf import INVISIBLE, draw_string

    kanji = "".join(chr(0x4E00 + n) for n in range(0, 1200, 2))
    strings = [
        "東京都千代田区 1-2",
        "(a)\\b",
        "",
        "𠮷",
        *(kanji[at : at + 37] for at in range(0, 600, 37)),
    ]
    codes = []
    for draw in (lambda c, *a: c.drawString(*a[:3], mode=a[3]), draw_string):
        canvas = Canvas(_io.BytesIO(), pagesize=A4, initialFontName=registered_font("gothic"))
        for n, text in enumerate(strings):
            font = registered_font(FALLBACK if text == "𠮷" else "gothic")
            canvas.setFont(font, 7.5 + n % 3)
            draw(canvas, 10.25 + n, 800 - n * 9.5, text, INVISIBLE if n % 4 == 1 else None)
        codes.append(list(canvas._code))
    assert codes[0] == codes[1]
    assert sum("/F1+1 " in line for line in codes[1]) > 0  # a second subset was reached
