"""Respondents numbered by identity: e-mail first, else IP address and location."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from surveyreport.identities import identity_groups


def by_strings(pii):
    """The rule spelled out with strings: the same e-mail, else the same address and place."""
    strip = lambda name: pii[name].str.strip()  # noqa: E731
    email = strip("email").str.lower()
    place = "ip:" + strip("ip_address") + "|" + strip("latitude") + "|" + strip("longitude")
    key = email.where(email != "", place)
    key = key.where(strip("ip_address").ne("") | email.ne(""), "row:" + pd.Series(range(len(pii))).astype(str))
    return pd.factorize(key)[0] + 1


cells = {
    "email": st.sampled_from(["", "a@x.org", " A@x.org", "b@x.org", "B@X.ORG "]),
    "ip_address": st.sampled_from(["", "203.0.113.1", "203.0.113.2"]),
    "latitude": st.sampled_from(["", "1.5", "2.5"]),
    "longitude": st.sampled_from(["", "-3.5"]),
}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.fixed_dictionaries(cells), min_size=1, max_size=30))
def test_identity_groups_follow_the_rule(rows):
    pii = pd.DataFrame(rows, dtype="str")
    assert identity_groups(pii).tolist() == by_strings(pii).tolist()


def test_identity_groups_without_personal_columns_are_one_per_row():
    assert identity_groups(pd.DataFrame(index=range(3))).tolist() == [1, 2, 3]
