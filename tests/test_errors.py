from servesize import errors


def test_every_error_derives_from_the_root_and_has_a_distinct_exit_code() -> None:
    classes = [getattr(errors, name) for name in errors.__all__]
    assert all(issubclass(cls, errors.ServesizeError) for cls in classes)
    # leaves of the tree that share a code would be indistinguishable to a shell script
    codes = {
        cls.exit_code
        for cls in classes
        if cls not in (errors.InvalidNameError, errors.InvalidInputError)
    }
    assert len(codes) == len(classes) - 2
