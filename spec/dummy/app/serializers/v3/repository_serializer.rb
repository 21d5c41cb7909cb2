# frozen_string_literal: true

module V3
  # RMT's V3::RepositorySerializer (ActiveModelSerializers' attributes adapter).
  class RepositorySerializer
    def initialize(repository, base_url:)
      @repository = repository
      @base_url = base_url
    end

    def as_json(*)
      { id: @repository.id, name: @repository.name, url: url, description: @repository.description,
        enabled: @repository.enabled, autorefresh: @repository.autorefresh }
    end

    private

    # RMT::Misc.make_repo_url
    def url
      URI.join(@base_url, File.join("/repo/", @repository.local_path)).to_s
    end
  end
end
