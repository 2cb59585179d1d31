from diffproof.proofs.cli import main

if __name__ == "__main__":       # a spawned worker may import the main module: run nothing then
    raise SystemExit(main())
