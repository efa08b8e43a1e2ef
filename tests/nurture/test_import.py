"""`nurture import` as a user runs it, against the real stack over HTTP: Excel's encodings,
Japanese headers, rejected rows kept with their reasons, and the files and APIs it refuses."""

from __future__ import annotations

import asyncio
import codecs
import csv
import subprocess
from pathlib import Path
from typing import Any

import httpx

from nurture.mailsink import MailSink, free_port
from tests.utils.api import lead_when
from tests.utils.processes import cli as run
from tests.utils.stack import ApiServer

JAPANESE = (
    "氏名,会社名,役職,業種,従業員数,メールアドレス,電話番号\r\n"
    "山田 花子,株式会社アクメ,部長,製造業,500名,Hanako.Yamada@acme.example.co.jp,03-1234-5678\r\n"
    '鈴木 一郎,ベータ商事,担当,小売,"1,200",ichiro@beta.example.co.jp,\r\n'
)


async def nurture_import(
    file: Path, api: ApiServer, *extra: str
) -> subprocess.CompletedProcess[str]:
    args = ("import", str(file), "--source", "expo-tokyo", "--api", api.base_url, *extra)
    return await asyncio.to_thread(run, *args)


async def leads_of(http: httpx.AsyncClient, api: ApiServer) -> dict[str, dict[str, Any]]:
    listed = await http.get("/v1/leads", params={"source": "expo-tokyo"}, headers=api.admin)
    return {item["email"]: item for item in listed.json()["items"]}


async def test_utf8_with_bom_and_japanese_headers(
    stack: ApiServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    file = tmp_path / "expo.csv"
    file.write_bytes(codecs.BOM_UTF8 + JAPANESE.encode())
    result = await nurture_import(file, stack)
    assert result.returncode == 0, result.stderr
    assert "columns not imported: 電話番号" in result.stdout
    assert "expo.csv: imported 2, updated 0, rejected 0 of 2 rows" in result.stdout
    assert not (tmp_path / "expo.rejected.csv").exists()

    leads = await leads_of(http, stack)
    hanako = leads["hanako.yamada@acme.example.co.jp"]
    assert (hanako["name"], hanako["company"], hanako["scenario"]) == (
        "山田 花子",
        "株式会社アクメ",
        "whitepaper",
    )
    detail = await lead_when(http, stack, hanako["id"], lambda s: s["score"] == 45)
    assert (detail["job_title"], detail["industry"], detail["company_size"]) == (
        "部長",
        "製造業",
        500,
    )
    assert detail["score"] == 45  # decision maker, top industry, sweet-spot size
    ichiro = await lead_when(http, stack, leads["ichiro@beta.example.co.jp"]["id"], lambda s: True)
    assert ichiro["company_size"] == 1200

    again = await nurture_import(file, stack)  # the same list twice: updates, no duplicates
    assert again.returncode == 0 and "imported 0, updated 2, rejected 0" in again.stdout
    assert len(await leads_of(http, stack)) == 2


async def test_shift_jis_from_japanese_excel_with_the_name_in_two_columns(
    stack: ApiServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    file = tmp_path / "meishi.csv"
    text = "姓,名,Eメール,会社名,役職\r\n佐藤,健,ken.sato@gamma.example.co.jp,ガンマ工業,取締役\r\n"
    file.write_bytes(text.encode("cp932"))
    result = await nurture_import(file, stack, "--scenario", "webinar")
    assert result.returncode == 0, result.stderr
    assert "imported 1, updated 0, rejected 0 of 1 rows" in result.stdout
    lead = (await leads_of(http, stack))["ken.sato@gamma.example.co.jp"]
    assert (lead["name"], lead["company"], lead["scenario"]) == ("佐藤 健", "ガンマ工業", "webinar")


async def test_rejected_rows_are_kept_with_line_and_reason(
    stack: ApiServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    file = tmp_path / "cards.csv"
    file.write_text(
        "Name,Company,Employees,Email\n"
        'Ann Lee,"Delta\nLabs",250,ann@delta.example.com\n'  # a cell over two lines
        "No Mail,Epsilon,10,\n"
        "Bad Mail,Zeta,10,not-an-email\n"
        "Big Guess,Eta,many,guess@eta.example.com\n"
        "Nobody,Theta,0,nobody@theta.example.com\n"
        "Ann Again,Delta Labs,260,ANN@delta.example.com\n",
        encoding="utf-8",
    )
    result = await nurture_import(file, stack)
    assert result.returncode == 1
    assert "imported 1, updated 1, rejected 4 of 6 rows" in result.stdout
    rejected_file = tmp_path / "cards.rejected.csv"
    assert str(rejected_file) in result.stdout
    with rejected_file.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["line", "reason", "Name", "Company", "Employees", "Email"]
    by_line = {int(r[0]): r for r in rows[1:]}
    assert sorted(by_line) == [4, 5, 6, 7]
    assert "no email" in by_line[4][1]
    assert by_line[5][1].startswith("Email:") and by_line[5][2:] == [
        "Bad Mail",
        "Zeta",
        "10",
        "not-an-email",
    ]
    assert "Employees: 'many' is not a number" in by_line[6][1]
    assert "Employees: must be at least 1" in by_line[7][1]
    leads = await leads_of(http, stack)
    assert list(leads) == ["ann@delta.example.com"]
    assert leads["ann@delta.example.com"]["name"] == "Ann Again"


def test_unreadable_files_exit_2(tmp_path: Path) -> None:
    workbook = tmp_path / "leads.xlsx"
    workbook.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    no_email = tmp_path / "names.csv"
    no_email.write_text("name,company\nA,B\n")
    cases = [
        (tmp_path / "missing.csv", "cannot be read"),
        (workbook, "is an Excel workbook"),
        (no_email, "has no email column"),
    ]
    for file, expected in cases:
        result = run("import", str(file), "--source", "expo")
        assert result.returncode == 2, result.stdout
        assert expected in result.stderr and "Traceback" not in result.stderr


def test_an_unreachable_api_exits_2(tmp_path: Path) -> None:
    file = tmp_path / "leads.csv"
    file.write_text("email\na@customer.example.com\n")
    nobody = f"http://127.0.0.1:{free_port()}"
    result = run("import", str(file), "--source", "expo", "--api", nobody)
    assert result.returncode == 2
    assert f"cannot reach the API at {nobody}" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_scenario_or_bad_source_exits_2(tmp_path: Path) -> None:
    file = tmp_path / "leads.csv"
    file.write_text("email\na@customer.example.com\n")
    result = run("import", str(file), "--source", "expo", "--scenario", "cold-calling")
    assert result.returncode == 2 and "unknown scenario 'cold-calling'" in result.stderr
    result = run("import", str(file), "--source", "expo tokyo!")
    assert result.returncode == 2 and "source" in result.stderr


async def test_imported_leads_get_their_first_mail_once_however_often_the_file_goes_in(
    stack: ApiServer, http: httpx.AsyncClient, smtp: MailSink, tmp_path: Path
) -> None:
    file = tmp_path / "expo.csv"
    file.write_text(
        "email,name,title\n"
        "mai@kappa.example.com,Mai,CTO\n"
        "broken-address,Nobody,CEO\n"
        "sho@lambda.example.com,Sho,Engineer\n",
        encoding="utf-8",
    )
    first = await nurture_import(file, stack)
    assert first.returncode == 1
    assert "imported 2, updated 0, rejected 1 of 3 rows" in first.stdout
    assert "line 3: email:" in first.stderr.lower()
    assert "progress: 3/3 rows" in first.stderr and "leads/s, ETA" in first.stderr
    addresses = ["mai@kappa.example.com", "sho@lambda.example.com"]
    await smtp.received(2, timeout=30)
    again = await nurture_import(file, stack)  # a re-run: nothing new, nothing sent twice
    assert again.returncode == 1 and "imported 0, updated 2, rejected 1" in again.stdout
    leads = await leads_of(http, stack)
    assert sorted(leads) == addresses
    for address in addresses:  # after the re-run's intake is applied (a waiting intake)
        body = {"email": address, "scenario": "whitepaper", "source": "expo-tokyo"}
        answer = await http.post("/v1/leads", json=body, headers=stack.admin)
        assert answer.status_code == 200 and answer.json()["created"] is False
    assert sorted(to for m in smtp.messages for to in m.envelope_to) == addresses
