use reactive_core::prelude::*;

#[derive(Response)]
pub struct Done {
    pub ok: bool,
}

// A request is one JSON object of its fields: the fields need names.
#[derive(Request)]
#[request(response = Done)]
pub struct Tuple(String, u16);

#[derive(Request)]
#[request(response = Done)]
pub struct Unit;

#[derive(Request)]
#[request(response = Done)]
pub enum Job {
    Static { target: String },
}

#[derive(Response)]
pub struct TupleResponse(bool);

fn main() {}
