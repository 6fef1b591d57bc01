"""LTI 1.3 through pylti1p3's extension points: registrations, keys, stricter launches, deep linking."""
