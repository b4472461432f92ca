fn main() {
    reactive_core::run()
}
