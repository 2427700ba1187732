"""Django's SQL compilers, except that a select_for_update() query inside a transaction
takes the connection's write turn before it runs (see base): Django drops FOR UPDATE on
SQLite, where the turn is what keeps the rows read current until the commit."""

from django.db.models.sql import compiler
from django.db.models.sql.constants import GET_ITERATOR_CHUNK_SIZE, MULTI


class SQLCompiler(compiler.SQLCompiler):
    def execute_sql(
        self, result_type=MULTI, chunked_fetch=False, chunk_size=GET_ITERATOR_CHUNK_SIZE
    ):
        if self.query.select_for_update and not self.connection.get_autocommit():
            self.connection.take_write_turn()
        return super().execute_sql(result_type, chunked_fetch, chunk_size)


SQLInsertCompiler = compiler.SQLInsertCompiler
SQLDeleteCompiler = compiler.SQLDeleteCompiler
SQLUpdateCompiler = compiler.SQLUpdateCompiler
SQLAggregateCompiler = compiler.SQLAggregateCompiler
