"""Write the example household survey XLSForm shipped in ``landuse/field/data/``.

The form matches the default mapping ``households_mapping.toml``: a ``hh`` group with
the household id, village, head's names, ethnicity (select_one) and landless flag, and
a ``members`` repeat group with each member's age. Run from the repository root:
``python tools/make_field_xlsform.py``. The XLSForm columns follow https://xlsform.org.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

SURVEY = [
    ("type", "name", "label::English (en)", "label::Lao (lo)", "required", "constraint"),
    ("begin_group", "hh", "Household", "ຄົວເຮືອນ", "", ""),
    ("text", "hh_id", "Household number", "ເລກທີຄົວເຮືອນ", "yes", ""),
    ("text", "village", "Village code", "ລະຫັດບ້ານ", "yes", ""),
    ("begin_group", "head", "Head of household", "ຫົວໜ້າຄົວເຮືອນ", "", ""),
    ("text", "head_name", "Name (Latin letters)", "ຊື່ (ອັກສອນລາຕິນ)", "yes", ""),
    ("text", "head_name_lo", "Name (Lao)", "ຊື່ (ພາສາລາວ)", "", ""),
    ("end_group", "", "", "", "", ""),
    ("select_one ethnicity", "ethnicity", "Ethnic group", "ຊົນເຜົ່າ", "", ""),
    ("select_one yesno", "landless", "Landless household?", "ຄົວເຮືອນບໍ່ມີດິນ?", "", ""),
    ("integer", "n_members", "Number of members", "ຈຳນວນສະມາຊິກ", "yes", ". >= 1"),
    ("end_group", "", "", "", "", ""),
    ("begin_repeat", "members", "Members", "ສະມາຊິກ", "", ""),
    ("text", "member_name", "Name", "ຊື່", "", ""),
    ("integer", "age", "Age (years)", "ອາຍຸ (ປີ)", "yes", ". >= 0 and . <= 130"),
    ("select_one sex", "sex", "Sex", "ເພດ", "", ""),
    ("end_repeat", "", "", "", "", ""),
]
CHOICES = [
    ("list_name", "name", "label::English (en)", "label::Lao (lo)"),
    ("ethnicity", "1", "Khmu", "ຂະມຸ"), ("ethnicity", "2", "Hmong", "ມົ້ງ"), ("ethnicity", "3", "Lue", "ລື້"),
    ("ethnicity", "4", "Akha", "ອາຄ່າ"), ("ethnicity", "5", "Lao", "ລາວ"), ("ethnicity", "99", "Other", "ອື່ນໆ"),
    ("yesno", "1", "Yes", "ແມ່ນ"), ("yesno", "0", "No", "ບໍ່"),
    ("sex", "1", "Male", "ຊາຍ"), ("sex", "2", "Female", "ຍິງ"),
]
SETTINGS = [("form_title", "form_id", "version", "default_language"),
            ("landuse household survey", "household_survey", "1", "English (en)")]


def main(out: Path = Path("landuse/field/data/household_survey.xlsx")) -> None:
    wb = openpyxl.Workbook()
    for k, (name, rows) in enumerate((("survey", SURVEY), ("choices", CHOICES), ("settings", SETTINGS))):
        ws = wb.active if k == 0 else wb.create_sheet()
        ws.title = name
        for r in rows:
            ws.append(list(r))
    wb.properties.creator = "landuse"
    wb.save(out)


if __name__ == "__main__":
    main()
