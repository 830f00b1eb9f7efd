fn main() -> anyhow::Result<()> {
    coach::cli::run()
}
