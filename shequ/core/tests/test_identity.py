import random
from datetime import date

import pytest

from shequ.core.identity import (
    IdInfo,
    IdNumberError,
    IdNumberPrecisionLost,
    PhoneError,
    age_on,
    compute_check_char,
    make_id_number,
    mask_id_number,
    mask_phone,
    normalize_phone,
    normalize_text,
    parse_id_number,
    validate_mobile,
)

VALID_FEMALE = "11010519491231002X"  # GB 11643-1999 example number
TODAY = date(2024, 6, 1)


# -- normalize_text ----------------------------------------------------------


def test_normalize_text_converts_full_width_and_removes_all_whitespace():
    assert normalize_text("　１１０１ ０５\t１９４９\n") == "110105" + "1949"


def test_normalize_text_leaves_plain_digits_and_letters_but_not_ascii_whitespace_among_them():
    assert normalize_text("13800001234") == "13800001234" and normalize_text("H0000001") == "H0000001"
    assert normalize_text("138 0000\t1234\x1c") == "13800001234"  # str.isspace() characters, \x1c among them
    assert normalize_text("1101051949123100ｘ") == "1101051949123100X"


def test_normalize_text_uppercases_trailing_x_only():
    assert normalize_text("11010519491231002x") == VALID_FEMALE
    assert normalize_text("ｘ1x") == "x1X"


def test_normalize_text_removes_invisible_characters_from_pasted_cells():
    assert normalize_text("\u00a0138\u00a0") == "138"
    assert normalize_text("\ufeff1380\u200b013") == "1380013"


def test_normalize_text_handles_none_and_numbers():
    assert normalize_text(None) == ""
    assert normalize_text(110105) == "110105"


# -- parse_id_number: valid input -------------------------------------------


def test_parse_known_valid_number():
    info = parse_id_number(VALID_FEMALE, today=TODAY)
    assert info == IdInfo(
        number=VALID_FEMALE,
        birth_date=date(1949, 12, 31),
        sex="F",
        region_code="110105",
        converted_from_15=False,
    )


def test_parse_accepts_lowercase_x_and_full_width_and_spaces():
    assert parse_id_number("110105 19491231 002x", today=TODAY).number == VALID_FEMALE
    assert parse_id_number("１１０１０５１９４９１２３１００２Ｘ", today=TODAY).number == VALID_FEMALE


def test_parse_odd_17th_digit_is_male():
    number = make_id_number("310101", date(1985, 7, 20), 3, male=True)
    info = parse_id_number(number, today=TODAY)
    assert info.sex == "M"
    assert int(number[16]) % 2 == 1


def test_parse_accepts_int_from_excel():
    number = make_id_number("440305", date(2001, 2, 3), 10, male=False)
    assert not number.endswith("X")
    assert parse_id_number(int(number), today=TODAY).number == number


def test_parse_converts_legacy_15_digit_number():
    info = parse_id_number("110105491231002", today=TODAY)
    assert info.number == VALID_FEMALE
    assert info.birth_date == date(1949, 12, 31)
    assert info.converted_from_15 is True
    assert info.sex == "F"


def test_parse_accepts_leap_day():
    number = make_id_number("110105", date(2000, 2, 29), 0, male=True)
    assert parse_id_number(number, today=TODAY).birth_date == date(2000, 2, 29)


# -- check character -----------------------------------------------------------


def test_check_char_is_gb_11643_weighted_sum_for_many_numbers():
    """The check character as GB 11643 defines it (weights 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2;
    the sum mod 11 indexes 1 0 X 9 8 7 6 5 4 3 2), against the base-13 shortcut identity.py takes."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    numbers = ["00000000000000000", "99999999999999999", "11010519491231002", "34052419800101001"]
    randoms = random.Random(11643)
    numbers += ["".join(randoms.choice("0123456789") for _ in range(17)) for _ in range(5000)]
    for first_17 in numbers:
        expected = "10X98765432"[sum(int(d) * w for d, w in zip(first_17, weights, strict=True)) % 11]
        assert compute_check_char(first_17) == expected, first_17


@pytest.mark.parametrize("first_17", ["1101051949123100", "1101051949123100a", "1101051949123100٢", "11010519491231_02"])
def test_compute_check_char_takes_17_ascii_digits_only(first_17):
    with pytest.raises(ValueError):
        compute_check_char(first_17)


# -- parse_id_number: rejections ---------------------------------------------


def test_wrong_check_char_names_the_expected_one():
    with pytest.raises(IdNumberError, match="^身份证号校验码错误，应为 X$"):
        parse_id_number("110105194912310021", today=TODAY)


def test_feb_30_is_invalid_birth_date():
    first_17 = "11010519900230123"
    with pytest.raises(IdNumberError, match="出生日期无效"):
        parse_id_number(first_17 + "0", today=TODAY)


def test_feb_29_in_non_leap_year_is_invalid():
    with pytest.raises(IdNumberError, match="出生日期无效"):
        parse_id_number("110105190002291230", today=TODAY)


def test_future_birth_date_is_invalid():
    tomorrow = date(2024, 6, 2)
    number = make_id_number("110105", tomorrow, 1, male=True)
    with pytest.raises(IdNumberError, match="出生日期无效"):
        parse_id_number(number, today=TODAY)
    assert parse_id_number(number, today=tomorrow).birth_date == tomorrow


def test_birth_before_1900_is_invalid():
    first_17 = "11010518991231002"
    with pytest.raises(IdNumberError, match="出生日期无效"):
        parse_id_number(first_17 + "0", today=TODAY)


@pytest.mark.parametrize("region", ["000105", "100105", "990105", "110000", "920101"])
def test_invalid_region_code(region):
    first_17 = region + "19491231002"
    with pytest.raises(IdNumberError, match="^身份证号地区码无效$"):
        parse_id_number(first_17 + "0", today=TODAY)


@pytest.mark.parametrize("region", ["710101", "810101", "820101", "830101", "910101", "650102"])
def test_special_province_codes_are_accepted(region):
    number = make_id_number(region, date(1970, 1, 1), 0, male=False)
    assert parse_id_number(number, today=TODAY).region_code == region


@pytest.mark.parametrize("raw", ["1101051949123100", "1101051949123100211", "12345"])
def test_wrong_length(raw):
    with pytest.raises(IdNumberError, match=r"^身份证号应为18位（或旧版15位）$"):
        parse_id_number(raw, today=TODAY)


@pytest.mark.parametrize(
    "raw", ["11010519491231002Y", "1101051949123100#X", "1101051949X231002X", "11010549123100X"]
)
def test_illegal_characters(raw):
    with pytest.raises(IdNumberError, match="^身份证号含非法字符$"):
        parse_id_number(raw, today=TODAY)


def test_empty_input():
    with pytest.raises(IdNumberError, match="不能为空"):
        parse_id_number("  ", today=TODAY)


@pytest.mark.parametrize(
    "raw",
    [
        1.1010519900307101e17,
        110105491231002.0,  # even a float that is exact is refused: it came through Excel as a number
        "1.10105199003071E+17",
        "1.10105199003071e17",
        "１.10105199003071E+17",
        "110105199003071000.0",
    ],
)
def test_excel_numbers_report_lost_precision(raw):
    with pytest.raises(IdNumberPrecisionLost) as excinfo:
        parse_id_number(raw, today=TODAY)
    assert str(excinfo.value) == "身份证号以数字或科学计数法存储，已丢失精度，请将该列设为文本后重新导入"
    assert isinstance(excinfo.value, IdNumberError)
    assert isinstance(excinfo.value, ValueError)


def test_bool_is_not_an_id_number():
    with pytest.raises(IdNumberError):
        parse_id_number(True, today=TODAY)


def test_parse_defaults_today_to_real_date():
    assert parse_id_number(VALID_FEMALE).birth_date == date(1949, 12, 31)


def test_id_info_is_frozen():
    info = parse_id_number(VALID_FEMALE, today=TODAY)
    with pytest.raises(AttributeError):
        info.sex = "M"


# -- make_id_number -----------------------------------------------------------


def test_make_id_number_round_trips_through_parse():
    for seq in (0, 1, 250, 499):
        for male in (True, False):
            number = make_id_number("320106", date(1992, 11, 5), seq, male)
            info = parse_id_number(number, today=TODAY)
            assert len(number) == 18
            assert info.sex == ("M" if male else "F")
            assert info.birth_date == date(1992, 11, 5)
            assert info.region_code == "320106"


def test_make_id_number_gives_distinct_numbers_per_seq_and_sex():
    numbers = {
        make_id_number("320106", date(1992, 11, 5), seq, male) for seq in range(500) for male in (True, False)
    }
    assert len(numbers) == 1000


def test_make_id_number_rejects_bad_input():
    with pytest.raises(ValueError):
        make_id_number("110000", date(1990, 1, 1), 0, True)
    with pytest.raises(ValueError):
        make_id_number("110105", date(1990, 1, 1), 500, True)
    with pytest.raises(ValueError):
        make_id_number("110105", date(1899, 12, 31), 0, True)


# -- masks ----------------------------------------------------------------------


def test_mask_id_number_keeps_first_3_and_last_4():
    masked = mask_id_number(VALID_FEMALE)
    assert masked == "110***********002X"
    assert len(masked) == 18
    assert masked.count("*") == 11


def test_mask_id_number_short_values_are_fully_hidden():
    assert mask_id_number("1234567") == "*******"
    assert mask_id_number("") == ""


def test_mask_phone_mobile_and_landline():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138-1234-5678") == "138****5678"
    assert mask_phone("01012345678") == "*******5678"
    assert mask_phone("010-12345678") == "*******5678"
    assert mask_phone("123") == "***"


# -- phones ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "１３８１２３４５６７８",
        "+86 138 1234 5678",
        "+8613812345678",
        "8613812345678",
        "0086-13812345678",
        13812345678,
        13812345678.0,
        "13812345678\n",
        " 13812345678",
    ],
)
def test_validate_mobile_normalises(raw):
    assert validate_mobile(raw) == "13812345678"


@pytest.mark.parametrize(
    "raw", ["12812345678", "1381234567", "138123456789", "23812345678", "010-12345678", "", None, "1381234567٨"]
)
def test_validate_mobile_rejects(raw):
    with pytest.raises(PhoneError, match="^手机号应为以1开头的11位数字$"):
        validate_mobile(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("010-12345678", "01012345678"),
        ("01012345678", "01012345678"),
        ("0571-8765432", "05718765432"),
        ("(0755)87654321", "075587654321"),
        ("12345678", "12345678"),
        ("8765432", "8765432"),
        ("+86 139 0000 1111", "13900001111"),
    ],
)
def test_normalize_phone_accepts_mobile_and_landline(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw", ["123456", "012345678901234", "00012345678", "abc12345678", "12012345678", ""]
)
def test_normalize_phone_rejects(raw):
    with pytest.raises(PhoneError, match="^电话号码格式不正确$"):
        normalize_phone(raw)


# -- age_on ---------------------------------------------------------------------


def test_age_on_counts_full_years():
    birth = date(1990, 6, 15)
    assert age_on(birth, date(2024, 6, 14)) == 33
    assert age_on(birth, date(2024, 6, 15)) == 34
    assert age_on(birth, date(1990, 6, 15)) == 0


def test_age_on_leap_day_birthday():
    birth = date(2000, 2, 29)
    assert age_on(birth, date(2023, 2, 28)) == 22
    assert age_on(birth, date(2023, 3, 1)) == 23
    assert age_on(birth, date(2024, 2, 29)) == 24
