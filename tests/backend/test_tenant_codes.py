import pytest

from backend.identity.tenants.codes import check_digit, is_valid_local_government_code
from backend.seed import DEMO_TENANT_CODE


@pytest.mark.parametrize("code", ["011002", "130001", "131016", "141003", "271004", "470007"])
def test_published_codes_verify(code: str) -> None:
    assert is_valid_local_government_code(code)


@pytest.mark.parametrize("code", ["131017", "13101", "1310166", "abcdef", "000000", "１３１０１６"])
def test_wrong_codes_are_refused(code: str) -> None:
    assert not is_valid_local_government_code(code)


def test_check_digit_formula() -> None:
    # 1*6 + 3*5 + 1*4 + 0*3 + 1*2 = 27; (11 - 27 % 11) % 10 = 6
    assert check_digit("13101") == 6


def test_demo_code_is_in_unassigned_prefecture_99_and_valid() -> None:
    assert DEMO_TENANT_CODE.startswith("99")
    assert is_valid_local_government_code(DEMO_TENANT_CODE)
