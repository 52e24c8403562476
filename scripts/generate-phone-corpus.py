#!/usr/bin/env python3
"""Writes Tests/ContactModelTests/phone-corpus.tsv: phone numbers written the way people type
them into a CRM, over many countries, each with Google's libphonenumber's reading of it (the
Python `phonenumbers` package) and the number the person meant, for the test that measures
syncd's reading against it.

Columns: default country, what was typed, libphonenumber's E.164 reading when it calls the
number valid (empty otherwise), the number meant (empty for text that means no number),
class.

To regenerate (the file is committed; the tests never need the package):

    python3 -m venv /tmp/plans && /tmp/plans/bin/pip install phonenumbers
    /tmp/plans/bin/python scripts/generate-phone-corpus.py
"""
import os
import random
import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType, PhoneMetadata

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "ContactModelTests", "phone-corpus.tsv")
REGIONS = ["KE", "NG", "GH", "UG", "TZ", "ZA", "EG", "MA", "GB", "IE", "DE", "FR", "ES", "IT", "NL", "BE", "CH",
           "AT", "SE", "NO", "PL", "RU", "UA", "TR", "AE", "SA", "IN", "PK", "BD", "ID", "MY", "SG", "PH", "TH", "VN",
           "CN", "JP", "KR", "AU", "NZ", "US", "CA", "MX", "BR", "AR", "CO", "CL", "PE"]
FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
ARABIC_INDIC = {str(d): chr(0x0660 + d) for d in range(10)}
rng = random.Random(2026)


def oracle(text, region):
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def examples(region):
    found = []
    for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE):
        number = phonenumbers.example_number_for_type(region, kind)
        if number is None:
            continue
        found.append(number)
        # A neighbour of the example, when it is valid too: more than one number a type.
        national = str(number.national_number)
        for _ in range(6):
            tweaked = national[:-3] + "".join(rng.choice("0123456789") for _ in range(3))
            candidate = phonenumbers.parse("+%d%s%s" % (number.country_code, "0" if number.italian_leading_zero else "", tweaked))
            if phonenumbers.is_valid_number(candidate):
                found.append(candidate)
                break
    return found


def forms(number, region):
    """(typed, default country, meant, class) for one number."""
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    intl = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    rfc = phonenumbers.format_number(number, PhoneNumberFormat.RFC3966)
    meta = PhoneMetadata.metadata_for_region(region)
    cc = str(number.country_code)
    nsn = phonenumbers.national_significant_number(number)
    out = [
        (e164, region, e164, "clean"), (intl, region, e164, "clean"), (national, region, e164, "clean"),
        (intl, "US" if region != "US" else "GB", e164, "clean"),
        (national.replace(" ", "."), region, e164, "punctuation"), (national.replace(" ", "-"), region, e164, "punctuation"),
        (intl.replace(" ", "\u2013"), region, e164, "punctuation"), ("Tel: " + national, region, e164, "label"),
        (rfc, region, e164, "label"), ("'" + national, region, e164, "label"),
        ("".join(FULL_WIDTH.get(c, c) for c in national), region, e164, "digits"),
        ("".join(ARABIC_INDIC.get(c, c) for c in intl), region, e164, "digits"),
        (national + " x123", region, e164, "extension"), (intl + " ext. 5", region, e164, "extension"),
        (national + " #204", region, e164, "extension"), (rfc + ";ext=77", region, e164, "extension"),
        (cc + nsn, region, e164, "country code without +"),
        (national + " (office)", region, e164, "trailing words"),
        (e164.lstrip("+") + ".0", region, e164, "spreadsheet"),
    ]
    rest = intl[len("+" + cc):].strip()
    if meta.national_prefix:
        prefix = meta.national_prefix
        out.append(("+%s (%s)%s" % (cc, prefix, nsn), region, e164, "+CC (0)"))
        out.append(("+%s (%s) %s" % (cc, prefix, rest), region, e164, "+CC (0)"))
        out.append(("+%s(%s)%s" % (cc, prefix, rest.replace(" ", "")), "US" if region != "US" else "GB", e164, "+CC (0)"))
    # The trunk prefix kept after the country code, out of habit: `+254 0712 123456`.
    national_digits = phonenumbers.normalize_digits_only(national)
    if meta.national_prefix and national_digits.startswith(meta.national_prefix) and national_digits != nsn:
        out.append(("+%s %s" % (cc, national), region, e164, "trunk prefix after +CC"))
        out.append(("+%s%s" % (cc, national_digits), region, e164, "trunk prefix after +CC"))
        out.append(("+%s-%s" % (cc, national.replace(" ", "-")), "US" if region != "US" else "GB", e164,
                    "trunk prefix after +CC"))
        out.append(("00%s %s" % (cc, national), "DE" if region != "DE" else "FR", e164, "trunk prefix after +CC"))
        out.append(("%s%s" % (cc, national_digits), region, e164, "trunk prefix after +CC"))
    for home, idd in (("US", "011"), ("AU", "0011"), ("NG", "009"), ("RU", "810"), ("JP", "010"), ("GB", "00"),
                      ("KR", "001"), ("BR", "0021"), ("ID", "008"), ("KE", "000"), ("MX", "00"), ("CO", "009"),
                      ("TH", "001"), ("CN", "00")):
        if home != region:
            out.append(("%s %s %s" % (idd, cc, nsn), home, e164, "international prefix"))
            if meta.national_prefix and national_digits.startswith(meta.national_prefix) and national_digits != nsn:
                out.append(("%s %s %s" % (idd, cc, national), home, e164, "international prefix, trunk prefix"))
    # Text that means no number at all: too short, two numbers, a number cut in half.
    out.append((national[: max(3, len(national) // 2)], region, "", "too short"))
    out.append((national + " / " + national, region, "", "two numbers"))
    out.append((nsn[:-2], region, "", "too short"))
    return out


def valid_numbers(region, prefixes, length, count):
    """`count` valid numbers of `region` whose national (significant) number starts with one of
    `prefixes` and has `length` digits, seeded."""
    meta = PhoneMetadata.metadata_for_region(region)
    found = []
    for prefix in prefixes:
        for _ in range(200):
            nsn = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix)))
            number = phonenumbers.parse("+%d%s" % (meta.country_code, nsn))
            if phonenumbers.is_valid_number(number) and number not in found:
                found.append(number)
                if sum(1 for n in found if phonenumbers.national_significant_number(n).startswith(prefix)) >= count:
                    break
    return found


def italian_rows():
    """Italy's (and the Vatican's) numbers whose leading 0 is part of the number."""
    rows = []
    numbers = valid_numbers("IT", ["02", "06", "011", "055", "081", "0541", "06698", "010", "091"], 10, 2)
    numbers += valid_numbers("IT", ["0423", "0965"], 9, 1)
    for number in numbers:
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        intl = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
        national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
        nsn = phonenumbers.national_significant_number(number)
        area = national.split(" ")[0]
        for typed, default in ((national, "IT"), (nsn, "IT"), (national.replace(" ", ""), "IT"),
                               ("(%s) %s" % (area, nsn[len(area):]), "IT"), ("%s/%s" % (area, nsn[len(area):]), "IT"),
                               (intl, "IT"), (intl, "US"), ("+39" + nsn, "GB"), ("0039 " + national, "IT"),
                               ("011 39 " + national, "US"), ("00 39 " + nsn, "DE"), ("Tel. " + national, "IT")):
            rows.append((default, typed, e164, "Italian leading 0"))
    return rows


def brazilian_rows():
    """Brazil's numbers typed with a carrier code, chosen (`0 21 11 …`) or left open (`0xx11 …`)."""
    rows = []
    numbers = valid_numbers("BR", ["119", "219", "319", "419", "519", "619", "719", "819", "859", "199"], 11, 1)
    numbers += valid_numbers("BR", ["113", "212", "313", "412", "513", "612"], 10, 1)
    for number in numbers:
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        nsn = phonenumbers.national_significant_number(number)
        area, local = nsn[:2], nsn[2:]
        dashed = local[:-4] + "-" + local[-4:]
        carrier = rng.choice(["12", "14", "15", "21", "23", "31", "41", "43"])
        for typed in ("0xx%s %s" % (area, dashed), "0 xx %s %s" % (area, dashed), "(0xx%s) %s" % (area, dashed),
                      "0XX%s %s" % (area, local), "(0 xx %s) %s" % (area, dashed), "0%s %s %s" % (carrier, area, dashed),
                      "0 %s (%s) %s" % (carrier, area, dashed), "0%s%s%s" % (carrier, area, local),
                      "(0%s) %s" % (area, dashed), "0%s%s" % (area, local), "+55 0xx%s %s" % (area, dashed)):
            rows.append(("BR", typed, e164, "Brazilian carrier code"))
    return rows


def abroad_rows():
    """Digits dialled through the default country's international prefix that another
    country's own rules would read, but that are no number in use: seven digits after +1 are
    Barbados's (or Jamaica's...) only when dialled there."""
    rows = [("JP", "010-1234-5678", "", "abroad, local rules")]
    for region in sorted(phonenumbers.region_codes_for_country_code(1)):
        meta = PhoneMetadata.metadata_for_region(region)
        if not meta.national_prefix_transform_rule:
            continue
        number = phonenumbers.example_number_for_type(region, PhoneNumberType.FIXED_LINE)
        nsn = phonenumbers.national_significant_number(number)
        local = nsn[3:6] + "-" + nsn[6:]
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        rows.append((region, local, e164, "local number"))
        for typed, default in (("010-1-" + local, "JP"), ("00 1 " + local, "GB"), ("011 1 " + local, "US"),
                               ("+1 " + local, region), ("+1 " + local, "US"), ("0011 1 " + local, "AU")):
            rows.append((default, typed, "", "abroad, local rules"))
    return rows


def main():
    rows = []
    for region in REGIONS:
        for number in examples(region):
            for typed, default, meant, kind in forms(number, region):
                valid = oracle(typed, default)
                # A number cut short that still is a number in use (Berlin's and Vienna's have
                # many lengths) is a number, not text that means none: it tells nothing.
                if kind == "too short" and valid:
                    continue
                rows.append((default, typed, valid, meant, kind))
    for default, typed, meant, kind in italian_rows() + brazilian_rows() + abroad_rows():
        rows.append((default, typed, oracle(typed, default), meant, kind))
    # Unassigned ranges and famous fakes.
    for typed, default in (("(123) 456-7890", "US"), ("555-0100", "US"), ("+1 123 456 7890", "US"), ("000 000 0000", "GB"),
                           ("0712 3456", "KE"), ("+254 712", "KE"), ("+999 1234 5678", "KE"), ("12345", "DE")):
        rows.append((default, typed, oracle(typed, default), "", "not in use"))
    # Argentina's 15, Brazil's carrier codes, Russia's 8, Italy's 0, Mexico's old 1, Nigeria's 009.
    for typed, default in (("011 15 2345-6789", "AR"), ("(011) 4567-8901", "AR"), ("0 21 11 98765-4321", "BR"),
                           ("(11) 98765-4321", "BR"), ("8 (812) 123-45-67", "RU"), ("8 912 345 67 89", "RU"),
                           ("06 1234 5678", "IT"), ("+39 06 1234 5678", "IT"), ("044 55 1234 5678", "MX"),
                           ("009 1 202 456 1111", "NG"), ("0011 61 2 9876 5432", "AU"), ("8~10 1 202 456 1111", "RU")):
        valid = oracle(typed, default)
        rows.append((default, typed, valid, valid, "national rules"))
    with open(OUT, "w") as out:
        out.write("# Generated by scripts/generate-phone-corpus.py (phonenumbers %s).\n" % phonenumbers.__version__)
        out.write("# default country\ttyped\tlibphonenumber's valid E.164\tmeant\tclass\n")
        for row in rows:
            assert all("\t" not in field and "\n" not in field for field in row), row
            out.write("\t".join(row) + "\n")
    print(len(rows), "rows,", len(set(r[0] for r in rows)), "default countries")


if __name__ == "__main__":
    main()
