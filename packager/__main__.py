try:
    from packager.cli import main
except KeyboardInterrupt:  # Ctrl-C before the CLI's own guard is loaded: the same one line
    import sys
    sys.stderr.write("roku-packager: interrupted\n")
    raise SystemExit(130) from None

raise SystemExit(main())
