//! Column and index shapes shared by the migrations, so every table spells ids, timestamps
//! and tenant keys the same way on SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

pub fn id(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .uuid()
        .not_null()
        .primary_key()
        .to_owned()
}

pub fn uuid(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().not_null().to_owned()
}

pub fn uuid_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().null().to_owned()
}

pub fn text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).string().not_null().to_owned()
}

pub fn long_text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
}

pub fn flag(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).boolean().not_null().to_owned()
}

pub fn timestamp(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

pub fn timestamp_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

pub fn fk(
    from_table: impl IntoIden,
    from_col: impl IntoIden,
    to_table: impl IntoIden,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

pub async fn index<T, C>(
    manager: &SchemaManager<'_>,
    table: T,
    cols: &[C],
    unique: bool,
) -> Result<(), DbErr>
where
    T: Iden + IntoIden + Copy,
    C: Iden + IntoIden + Copy,
{
    let mut name = format!("idx_{}", table.to_string());
    let mut statement = Index::create();
    statement.table(table);
    for col in cols {
        name.push('_');
        name.push_str(&col.to_string());
        statement.col(*col);
    }
    if unique {
        statement.unique();
    }
    manager.create_index(statement.name(name).to_owned()).await
}
