"""Real spreadsheets nobody here wrote import as a user would import them: with no flag,
or with the flags our help and messages point to. tests/corpus/README.md says where each
comes from, under which licence, and where the files are kept.

Every expected value below was read from the file by a person and written by hand.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def corpus_folder() -> Path:
    """Where the corpus files are. They are other projects' data, kept out of this
    repository: in ``shared/corpus`` beside the checkout (as CI lays out shared/), or
    where ``ROADMAP_CORPUS`` points; ``tests/corpus`` holds their README and manifest."""
    if os.environ.get("ROADMAP_CORPUS"):
        return Path(os.environ["ROADMAP_CORPUS"])
    for folder in (HERE.parent.parent / "shared" / "corpus", HERE / "corpus"):
        if (folder / "asvs-4.0.3-en.csv").is_file():
            return folder
    return HERE.parent.parent / "shared" / "corpus"


CORPUS = corpus_folder()
MANIFEST = [
    line.split("\t")[:3]
    for line in (HERE / "corpus" / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
]
pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the corpus files are not at {CORPUS}: see tests/corpus/README.md"
)


@pytest.fixture
def corpus(tmp_path, store):
    """``corpus("x.xlsx")`` copies a corpus file into the (initialised) store's folder."""

    def copy(name: str) -> str:
        shutil.copy(CORPUS / name, tmp_path / name)
        return name

    return copy


def imports(invoke, *args: str) -> tuple[str, str]:
    """Run ``roadmap import …``; it must succeed. Returns (stdout, stderr)."""
    result = invoke("import", *args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.stdout, result.stderr


def refused(invoke, *args: str):
    """Run ``roadmap import …``; it must fail as bad input does: exit 1, no traceback."""
    result = invoke("import", *args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result


def requirements(invoke) -> dict[str, dict]:
    result = invoke("requirements", "--format", "json")
    assert result.exit_code == 0, result.output
    return {row["id"]: row for row in json.loads(result.stdout)}


def stages_in_order(invoke) -> list:
    """Stages as the listing shows them (it orders by the roadmap's stages, then id)."""
    seen: list = []
    for row in requirements(invoke).values():
        if row["stage"] not in seen:
            seen.append(row["stage"])
    return seen


def snapshots(invoke) -> dict[str, dict]:
    result = invoke("snapshots", "--format", "json")
    assert result.exit_code == 0, result.output
    return {row["vendor"]: row for row in json.loads(result.stdout)}


@pytest.mark.parametrize(("name", "size", "sha256"), MANIFEST)
def test_the_corpus_files_are_the_ones_the_readme_describes(name, size, sha256):
    data = (CORPUS / name).read_bytes()
    assert (len(data), hashlib.sha256(data).hexdigest()) == (int(size), sha256)


ASVS4_CHAPTERS = [
    "Architecture, Design and Threat Modeling",
    "Authentication",
    "Session Management",
    "Access Control",
    "Validation, Sanitization and Encoding",
    "Stored Cryptography",
    "Error Handling and Logging",
    "Data Protection",
    "Communication",
    "Malicious Code",
    "Business Logic",
    "Files and Resources",
    "API and Web Service",
    "Configuration",
]


# -- OWASP ASVS 4.0.3, CSV from the project's export script --------------------------------


def test_asvs_4_imports_unassigned_its_text_the_title(invoke, corpus):
    _, warnings = imports(invoke, "requirements", corpus("asvs-4.0.3-en.csv"))
    assert "req_description" in warnings  # says where the titles came from
    stored = requirements(invoke)
    assert len(stored) == 286
    assert stored["V2.1.1"]["title"] == (
        "Verify that user set passwords are at least 12 characters in length (after multiple "
        "spaces are combined). ([C6](https://owasp.org/www-project-proactive-controls/"
        "#div-numbering))"
    )
    assert stored["V14.5.4"]["title"] == (
        "Verify that HTTP headers added by a trusted proxy or SSO devices, such as a bearer "
        "token, are authenticated by the application."
    )
    assert {row["stage"] for row in stored.values()} == {None}
    assert stored["V2.1.1"]["tier"] == "table-stakes"


def test_asvs_4_chapters_become_stages_with_add_stages(invoke, corpus):
    imports(
        invoke,
        "requirements",
        corpus("asvs-4.0.3-en.csv"),
        "--map",
        "chapter_name=stage",
        "--add-stages",
    )
    stored = requirements(invoke)
    assert stored["V1.1.1"]["stage"] == "Architecture, Design and Threat Modeling"
    assert stored["V5.1.1"]["stage"] == "Validation, Sanitization and Encoding"
    assert stored["V14.5.4"]["stage"] == "Configuration"
    assert stages_in_order(invoke) == ASVS4_CHAPTERS


def test_asvs_4_unknown_chapters_are_reported_once_each_naming_add_stages(invoke, corpus):
    result = refused(
        invoke, "requirements", corpus("asvs-4.0.3-en.csv"), "--map", "chapter_name=stage"
    )
    unknown = [line for line in result.output.splitlines() if "unknown stage" in line]
    assert len(unknown) == 14
    (first,) = [line for line in unknown if "'Architecture, Design and Threat Modeling'" in line]
    assert "B2–B43" in first
    assert "--add-stages" in result.output
    assert "roadmap settings" in result.output
    assert requirements(invoke) == {}


def test_asvs_4_in_chinese_imports_unassigned(invoke, corpus):
    imports(invoke, "requirements", corpus("asvs-4.0.3-zh-cn.csv"))
    stored = requirements(invoke)
    assert len(stored) == 285
    assert stored["V14.5.4"]["title"] == (
        "验证由受信任的代理或 SSO 设备添加的 HTTP 标头（例如bearer令牌）"
        "是否已通过应用程序的身份验证。"
    )
    assert stored["V14.5.4"]["stage"] is None


def test_asvs_4_in_chinese_gives_fourteen_distinct_chinese_stages(invoke, corpus):
    imports(
        invoke,
        "requirements",
        corpus("asvs-4.0.3-zh-cn.csv"),
        "--map",
        "chapter_name=stage",
        "--add-stages",
    )
    stored = requirements(invoke)
    assert len(stored) == 285
    assert stored["V1.1.1"]["stage"] == "架构、设计和威胁建模"
    assert stored["V1.1.1"]["title"] == (
        "验证使用安全的软件开发生命周期，在开发的各个阶段解决安全问题。 "
        "([C1](https://owasp.org/www-project-proactive-controls/#div-numbering))"
    )
    assert stored["V14.5.4"]["stage"] == "配置"
    assert stages_in_order(invoke) == [
        "架构、设计和威胁建模",
        "认证",
        "会话管理",
        "访问控制",
        "验证、过滤和编码",
        "存储密码学",
        "错误处理和日志记录",
        "数据保护",
        "通讯",
        "恶意代码",
        "业务逻辑",
        "文件和资源",
        "API和Web Service",
        "配置",
    ]


def test_asvs_4_level_columns_with_words_that_are_not_levels_name_every_cell(invoke, corpus):
    """level1–3 hold ✓ and a few notes ('30 days', 'OS assisted', 'HSM', 'o'): as a
    comparison table, each such cell is an error, all of them in one run."""
    imports(invoke, "requirements", corpus("asvs-4.0.3-en.csv"))
    result = refused(invoke, "snapshot", "asvs-4.0.3-en.csv", "--as-of", "2021-10-01")
    for cell in (
        "G107",
        "H93",
        "H97",
        "H98",
        "H99",
        "H100",
        "H107",
        "I97",
        "I98",
        "I99",
        "I100",
        "I107",
    ):
        assert f"asvs-4.0.3-en.csv:{cell}:" in result.output
    assert snapshots(invoke) == {}


# -- OWASP ASVS 5.0.0 -----------------------------------------------------------------------


def test_asvs_5_imports_unassigned(invoke, corpus):
    imports(invoke, "requirements", corpus("asvs-5.0.0-en.csv"))
    stored = requirements(invoke)
    assert len(stored) == 345
    assert stored["V1.1.1"]["title"].startswith(
        "Verify that input is decoded or unescaped into a canonical form only once,"
    )
    assert stored["V17.3.1"]["title"] == (
        "Verify that the signaling server is able to continue processing legitimate incoming "
        "signaling messages during a flood attack. This should be achieved by implementing "
        "rate limiting at the signaling level."
    )
    assert stored["V17.3.1"]["stage"] is None


# -- OWASP ASVS 3.0.1 (Mac Excel) -----------------------------------------------------------


def test_asvs_3_flat_list_takes_its_ids_from_the_hash_column(invoke, corpus):
    """`Req` numbers the rows 1, 2, 3…; `#` holds the ASVS ids (1.1 … 1.10 … 19.10);
    `Detail` is the text and so the title."""
    imports(invoke, "requirements", corpus("asvs-3.0.1.xlsx"), "--map", "Req=ignore")
    stored = requirements(invoke)
    assert len(stored) == 182
    assert stored["1.1"]["title"] == (
        "Verify that all application components are identified and are known to be needed."
    )
    assert stored["1.10"]["title"] == (
        "Verify that there is no sensitive business logic, secret keys or other proprietary "
        "information in client side code."
    )
    assert stored["19.10"]["title"].startswith(
        "Verify that all application assets are hosted by the application,"
    )
    assert stored["1.1"]["tier"] == "table-stakes"
    assert stored["1.1"]["stage"] is None


def test_asvs_3_levels_import_as_a_comparison_table_of_x(invoke, corpus):
    imports(invoke, "requirements", corpus("asvs-3.0.1.xlsx"), "--map", "Req=ignore")
    _, warnings = imports(
        invoke, "snapshot", "asvs-3.0.1.xlsx", "--as-of", "2016-10-01", "--map", "Req=ignore"
    )
    stored = snapshots(invoke)
    assert {key: row["ga"] for key, row in stored.items()} == {
        "level-1": 87,
        "level-2": 150,
        "level-3": 182,
    }
    assert {row["as_of"] for row in stored.values()} == {"2016-10-01"}
    assert "Since" in warnings


def test_asvs_3_checklist_saved_by_mac_excel(invoke, corpus):
    imports(invoke, "requirements", corpus("asvs-3.0.1-checklist.xlsx"))
    stored = requirements(invoke)
    assert stored["1.1"]["title"] == (
        "Verify that all application components are identified and are known to be needed."
    )
    # A16 is a number cell (2.2): the id reads as the person typed it.
    assert stored["2.2"]["title"].startswith(
        "Verify that forms containing credentials are not filled in by the application."
    )
    assert stored["1.1"]["stage"] is None
    assert "V1" not in stored  # `V1 | Architecture, …` (bold) heads a chapter


def test_asvs_3_checklist_chapters_become_stages_with_add_stages(invoke, corpus):
    imports(invoke, "requirements", corpus("asvs-3.0.1-checklist.xlsx"), "--add-stages")
    stored = requirements(invoke)
    assert stored["1.1"]["stage"] == "Architecture, design and threat modelling"
    assert stored["2.2"]["stage"] == "Authentication verification requirements"


def test_asvs_3_chapter_sheet_description_is_the_title(invoke, corpus):
    out, warnings = imports(invoke, "requirements", corpus("asvs-3.0-v02-authentication.xlsx"))
    stored = requirements(invoke)
    assert len(stored) == 21
    assert stored["V2.1"]["title"] == (
        "Verify all pages and resources require authentication except those specifically "
        "intended to be public (Principle of complete mediation)."
    )
    assert stored["V2.2"]["title"] == (
        "Verify all password fields do not echo the user’s password when it is entered."
    )
    assert "Description" in warnings


# -- Doorstop --------------------------------------------------------------------------------


def test_doorstop_export_xlsx(invoke, corpus):
    imports(invoke, "requirements", corpus("doorstop-exported.xlsx"))
    stored = requirements(invoke)
    assert set(stored) == {"REQ001", "REQ002", "REQ003", "REQ004", "REQ006", "REQ2-001"}
    assert stored["REQ003"]["title"] == "Unicode: -40° ±1%"
    assert stored["REQ004"]["title"] == "Hello, world!"
    assert stored["REQ001"]["title"].startswith(
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod\n"
    )
    assert stored["REQ001"]["title"].endswith("deserunt mollit anim id est laborum.")


def test_doorstop_export_csv(invoke, corpus):
    imports(invoke, "requirements", corpus("doorstop-exported.csv"))
    stored = requirements(invoke)
    assert stored["REQ003"]["title"] == "Unicode: -40° ±1%"
    assert stored["REQ2-001"]["title"].startswith("Hello, world!\n\nTest Math Expressions")


# -- Visual ReqM2 (LibreOffice) ------------------------------------------------------------


def test_reqm2_xlsx_saved_by_libreoffice(invoke, corpus):
    imports(invoke, "requirements", corpus("reqm2-requirements.xlsx"))
    stored = requirements(invoke)
    assert len(stored) == 92
    assert stored["rq_read_oreqm"]["title"] == "VRM2 shall read requirements from .oreqm files"
    assert stored["rq_dot"]["title"] == (
        "VRM2 shall render requirements as Graphviz ‘dot’ diagrams"
    )
    assert stored["rq_doctype_settings"]["status"] == "approved"


def test_reqm2_ods_saved_by_libreoffice(invoke, corpus):
    imports(invoke, "requirements", corpus("reqm2-requirements.ods"))
    stored = requirements(invoke)
    assert stored["rq_read_oreqm"]["title"] == "VRM2 shall read requirements from .oreqm files"
    assert stored["rq_calc_shown_graph"]["title"].startswith(
        "VRM2 shall calculate the set of shown requirements based on reachability"
    )
    assert (
        "\nExcluded ids shall stop the graph traversal" in (stored["rq_calc_shown_graph"]["title"])
    )


# -- StrictDoc -----------------------------------------------------------------------------


def test_strictdoc_export_written_by_xlsxwriter(invoke, corpus):
    imports(invoke, "requirements", corpus("strictdoc-export-basic.xlsx"))
    stored = requirements(invoke)
    assert {key: row["title"] for key, row in stored.items()} == {
        "REQ-001": "Statement #1",
        "REQ-002": "Statement #2",
        "REQ-003": "Statement #3",
    }


@pytest.mark.parametrize("name", ["strictdoc-import-basic.xlsx", "strictdoc-import-basic.xls"])
def test_strictdoc_import_fixture(invoke, corpus, name):
    imports(invoke, "requirements", corpus(name))
    stored = requirements(invoke)
    assert set(stored) == {"A-1", "A-2"}
    assert stored["A-1"]["title"] == "a statement"
    assert stored["A-1"]["priority"] == "high"
    assert stored["A-1"]["tier"] == "table-stakes"  # `Category: something` is not a tier
    assert stored["A-2"]["stage"] is None


def test_strictdoc_xls_with_numbers(invoke, corpus):
    imports(invoke, "requirements", corpus("strictdoc-float-fields.xls"))
    stored = requirements(invoke)
    assert {key: row["title"] for key, row in stored.items()} == {
        "A-1": "a statement",
        "A-2": "a statement",
    }
    assert "1.2" in stored["A-1"]["notes"]


def test_strictdoc_questionnaire_answer_columns_are_not_the_id(invoke, corpus):
    imports(invoke, "requirements", corpus("strictdoc-tsrm-questionnaires.xlsx"))
    stored = list(requirements(invoke).values())
    assert len(stored) == 50
    by_title = {row["title"]: row for row in stored}
    first = by_title[
        "This Mobile App component must satisfy requirement AC-030:\nThe vendor's system shall "
        "employ cryptographic authentication to prevent unauthorized access to telematics "
        "systems and data."
    ]
    assert first["priority"] == "high"
    last = by_title[
        "This Mobile App component must satisfy requirement SII-200:\nThe vendor shall "
        "participate in a cybersecurity information sharing and analysis group in the heavy "
        "vehicle industry"
    ]
    assert last["priority"] == "low"


# -- MASVS ---------------------------------------------------------------------------------


def test_masvs_checklist_without_a_table_on_its_first_sheet_names_the_others(invoke, corpus):
    result = refused(invoke, "requirements", corpus("masvs-1.2-checklist-en.xlsx"))
    assert "Security Requirements - Android" in result.output


def test_masvs_checklist_sheet_named_by_the_user(invoke, corpus):
    _, warnings = imports(
        invoke,
        "requirements",
        corpus("masvs-1.2-checklist-en.xlsx"),
        "--sheet",
        "Security Requirements - Android",
    )
    assert "Legend" in warnings  # the small table below the requirements is not read
    stored = requirements(invoke)
    assert stored["1.1"]["title"] == "All app components are identified and known to be needed."
    assert stored["2.1"]["title"] == (
        "System credential storage facilities need to be used to store sensitive data, such as "
        "PII, user credentials or cryptographic keys."
    )
    assert "V1" not in stored and "Legend" not in {row["title"] for row in stored.values()}


# -- a ReqIF converter's template ----------------------------------------------------------


def test_reqif_template_takes_its_identifier_column_for_the_id(invoke, corpus):
    with warnings.catch_warnings(record=True) as escaped:
        warnings.simplefilter("always")
        imports(invoke, "requirements", corpus("reqif-from-excel-template.xlsx"))
    # openpyxl's "Data Validation extension is not supported" must not reach the terminal
    assert [str(w.message) for w in escaped] == []
    stored = requirements(invoke)
    assert len(stored) == 20
    assert stored["SO-F-001"]["title"] == "User Authentication"
    assert stored["SO-F-001"]["stage"] is None  # 'Chapter 1.1' … are not stages
    assert stored["SO-F-001"]["priority"] == "medium"
    assert stored["SO-F-001"]["status"] == "approved"
    assert stored["SO-I-001"]["priority"] == "high"
    assert stored["SO-F-010"]["title"] == "Data Export"
    assert stored["SO-F-010"]["priority"] == "low"


# -- OWASP MAS checklist (controls with their tests under them) ----------------------------


def test_mas_checklist_test_rows_without_ids_say_what_to_do(invoke, corpus):
    """Each MASVS control row carries an id; the test rows under it have none, and two tests
    share a title ('Testing Backups for Sensitive Data', D20 for Android and D26 for iOS)."""
    result = refused(invoke, "requirements", corpus("owasp-mas-checklist.xlsx"))
    (line,) = [line for line in result.output.splitlines() if "!D26:" in line]
    assert "!D20" in line  # the first row with that title
    assert "add an ID column" in line
    assert "--map" in line
    assert requirements(invoke) == {}


# -- OWASP WSTG checklists (one header row per chapter) ------------------------------------

WSTG_INFO_01 = "Conduct Search Engine Discovery Reconnaissance for Information Leakage"


@pytest.mark.parametrize(
    "name",
    ["wstg-checklist-4.2.xlsx", "wstg-checklist-4.1-google-sheets.xlsx", "wstg-checklist.xlsx"],
)
def test_wstg_checklist_chapters_are_stages_and_their_header_rows_are_not_requirements(
    invoke, corpus, name
):
    imports(invoke, "requirements", corpus(name), "--add-stages")
    stored = requirements(invoke)
    assert stored["WSTG-INFO-01"]["title"] == WSTG_INFO_01
    assert stored["WSTG-INFO-01"]["stage"] == "Information Gathering"
    assert stored["WSTG-INFO-02"]["title"] == "Fingerprint Web Server"
    assert "Test Name" not in {row["title"] for row in stored.values()}


# -- ASVS 2.0 in Polish (one header block per chapter) -------------------------------------


def test_asvs_2_polish_chapters(invoke, corpus):
    imports(invoke, "requirements", corpus("asvs-2.0-pl.xlsx"))
    stored = requirements(invoke)
    assert stored["V2.1"]["title"].startswith(
        "Zweryfikuj czy wszystkie strony oraz zasoby wymagają uwierzy"
    )
    assert stored["V3.1"]["title"].startswith(
        "Zweryfikuj czy aplikacja wykorzystuje domyślną implementację"
    )
    assert "V3 ZARZĄDZANIE SESJĄ" not in {row["title"] for row in stored.values()}


# -- a project's working sheet that is not a requirements list -----------------------------


def test_working_sheet_that_is_no_requirements_list_is_refused_saying_what_to_type(invoke, corpus):
    result = refused(invoke, "requirements", corpus("webcompat-roadmap.ods"))
    assert "webcompat-roadmap.ods" in result.output
    # Its header is its top row (not row 23, whose "true/false, comment" ends in a synonym).
    assert (
        "webcompat-roadmap.ods:Ark1!1: no title column" in result.output
        and "(columns: 'script', 'arch', 'lang', 'features to keep', 'features to rip out')"
        in result.output
    )
    assert "--map 'Column=title'" in result.output
    assert len(result.output.splitlines()) <= 20


# -- NIST SP 800-53 ------------------------------------------------------------------------


def test_nist_baselines_csv_saved_in_windows_1252(invoke, corpus):
    """Excel's "CSV" on Windows: the em dash of AC-13 is byte 0x97."""
    _, warnings = imports(invoke, "requirements", corpus("nist-sp800-53b-baselines.csv"))
    assert "1252" in warnings
    stored = requirements(invoke)
    assert len(stored) == 1189
    assert stored["AC-13"]["title"] == "Supervision and Review — Access Control"
    assert stored["AC-2(1)"]["title"] == (
        "Account Management | Automated System Account Management"
    )
    assert stored["SR-12"]["title"] == "Component Disposal"


def test_nist_baselines_as_a_comparison_table_name_the_cells_that_are_not_levels(invoke, corpus):
    imports(invoke, "requirements", corpus("nist-sp800-53b-baselines.csv"))
    result = refused(
        invoke,
        "snapshot",
        "nist-sp800-53b-baselines.csv",
        "--as-of",
        "2020-12-10",
        "--map",
        "Control Identifier=requirement",
    )
    # 'N/A - Deployed organiation-wide' from E637 on, 'Not allocated to security control
    # baselines' from E692 on: 174 cells, all counted in one run, the first 50 shown.
    assert "nist-sp800-53b-baselines.csv:E637:" in result.output
    assert "174 problems" in result.output
    assert len(result.output.splitlines()) < 60
    assert snapshots(invoke) == {}


def test_nist_catalog_saved_by_mac_excel(invoke, corpus):
    imports(invoke, "requirements", corpus("nist-sp800-53r5-catalog.xlsx"))
    stored = requirements(invoke)
    assert len(stored) == 1189
    assert stored["AC-13"]["title"] == "Supervision and Review — Access Control"
    assert stored["AC-2(1)"]["title"] == (
        "Account Management | Automated System Account Management"
    )
    assert stored["AC-2(1)"]["stage"] is None


# -- the library, straight: a second import of the same real file changes nothing ----------

SAME_FILE_TWICE = [
    ("asvs-4.0.3-en.csv", ()),
    ("asvs-3.0.1.xlsx", ("Req=ignore",)),
    ("doorstop-exported.xlsx", ()),
    ("reqm2-requirements.ods", ()),
    ("strictdoc-import-basic.xls", ()),
    ("strictdoc-tsrm-questionnaires.xlsx", ()),
    ("nist-sp800-53b-baselines.csv", ()),
]


@pytest.mark.parametrize(("name", "mapping"), SAME_FILE_TWICE)
def test_the_same_real_file_imported_twice_changes_nothing(store, tmp_path, name, mapping):
    from roadmap.requirements import import_requirements

    path = str(tmp_path / name)
    shutil.copy(CORPUS / name, path)
    first = import_requirements(store, path, mapping=mapping)
    assert first.written and first.plan.added
    stored = store.requirements()
    again = import_requirements(store, path, mapping=mapping)
    assert again.plan.is_empty
    assert not again.written
    assert store.requirements() == stored
